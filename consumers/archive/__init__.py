"""The archive: news.normalized.v1 + news.corrections.v1 into a queryable database (SQLite or PostgreSQL).

``open_store(dsn)`` picks the backend; ``stage.run_archive`` is the consume loop. The web page
(``web/``) reads the same store.
"""

from consumers.archive.store import ArchiveStore, EventFilter, open_store

__all__ = ["ArchiveStore", "EventFilter", "open_store"]
