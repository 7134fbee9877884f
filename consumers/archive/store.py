"""The archive's storage, shared by both backends: batched writes with their offsets, and the reads.

One :meth:`ArchiveStore.write_batch` is one database transaction holding the batch's rows AND the
next offset of every partition it read, so after a crash the database says exactly where to resume
(the stage seeks there on assignment) and no input is written twice or lost. Rows are keyed by
their ids as well (event id; article id + version), so even a replay from older offsets adds nothing.

SQL is written once with ``:name`` parameters; the PostgreSQL backend rewrites them to psycopg's
``%(name)s``. Times are stored as the messages' UTC ISO 8601 strings (``…Z``), which sort as text
on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from consumers.archive.rows import EVENT_COLUMNS, VERSION_COLUMNS, Source, article_row, event_row, version_row

#: Event types a filter may name (the CorrectionEvent schema's enum).
EVENT_TYPES = (
    "correction", "clarification", "update", "retraction", "editors_note",
    "headline_change", "content_change", "unpublished",
)  # fmt: skip
#: Explicit columns (PostgreSQL adds tsvector columns that no reader wants).
EVENT_SELECT = "e.seq, " + ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
VERSION_SELECT = "seq, " + ", ".join(VERSION_COLUMNS)


def _end_of(until: str) -> str:
    """The first instant after ``until``: the next day for a date (so the day is included)."""
    if len(until) == 10:
        try:
            return (date.fromisoformat(until) + timedelta(days=1)).isoformat()
        except ValueError:
            return until
    return until


@dataclass(frozen=True)
class EventFilter:
    """What the events list, export, Atom feed and API filter on; empty fields match everything."""

    type: str | None = None
    publisher: str | None = None
    language: str | None = None
    since: str | None = None  # ISO date or time, inclusive
    until: str | None = None  # ISO date (that whole day included) or time (exclusive)
    article_id: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """A WHERE clause over ``events e`` and its parameters."""
        clauses, params = ["1=1"], {}
        for name in ("type", "publisher", "language", "article_id"):
            value = getattr(self, name)
            if value:
                clauses.append(f"e.{name} = :f_{name}")
                params[f"f_{name}"] = value
        if self.since:
            clauses.append("e.detected_at >= :f_since")
            params["f_since"] = self.since
        if self.until:
            clauses.append("e.detected_at < :f_until")
            params["f_until"] = _end_of(self.until)
        return " AND ".join(clauses), params


@dataclass
class BatchResult:
    """What one write_batch did, for the metrics."""

    versions: int = 0
    repeats: int = 0
    events: int = 0
    articles: int = 0
    replayed: int = 0
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """One consumed message, decoded: ``kind`` is ``article`` or ``event``."""

    kind: str
    message: dict[str, Any]
    source: Source


class ArchiveStore:
    """Backend-neutral logic; subclasses provide the connection, migrations and full-text search."""

    backend = "sql"

    # --- backend hooks ---------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply pending migrations; return the schema version."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:
        """A context manager around one transaction; yields a cursor-like object with execute()."""
        raise NotImplementedError

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read-only statement, as dicts."""
        raise NotImplementedError

    def _index_version(self, cur: Any, seq: int, title: str, body: str) -> None:
        """Add a version to the full-text index (PostgreSQL does it with a generated column)."""

    def _index_event(self, cur: Any, seq: int, notice: str, title: str) -> None:
        """Add an event's notice to the full-text index."""

    def search(self, text: str, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        """Full-text search: ``{"versions": [...], "notices": [...]}`` (newest first)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def sql(self, statement: str) -> str:
        """``statement`` in this backend's parameter style (``:name`` by default)."""
        return statement

    # --- writes ----------------------------------------------------------------------------
    def load_offsets(self, group: str) -> dict[tuple[str, int], int]:
        """The next offset to read per (topic, partition), as committed with the rows."""
        rows = self.query("SELECT topic, part, next_offset FROM consumer_offsets WHERE grp = :g", {"g": group})
        return {(r["topic"], int(r["part"])): int(r["next_offset"]) for r in rows}

    def write_batch(self, records: Sequence[Record], group: str) -> BatchResult:
        """Write rows and the offsets after them in one transaction (all or nothing)."""
        result = BatchResult()
        for r in records:
            key = (r.source.topic, r.source.partition)
            result.offsets[key] = max(result.offsets.get(key, 0), r.source.offset + 1)
        with self.transaction() as cur:
            # Records below the stored offsets were written already (a replay, or a stale instance
            # after a rebalance): the offsets table, written with the rows, is what decides.
            cur.execute(self.sql("SELECT topic, part, next_offset FROM consumer_offsets WHERE grp = :g"), {"g": group})
            done = {(row[0], int(row[1])): int(row[2]) for row in cur.fetchall()}
            fresh = [r for r in records if r.source.offset >= done.get((r.source.topic, r.source.partition), 0)]
            result.replayed = len(records) - len(fresh)
            records = fresh
            articles = [r for r in records if r.kind == "article"]
            current = self._current_versions(cur, {str(r.message["id"]) for r in articles})
            for r in articles:
                self._write_version(cur, r, current, result)
            for r in records:
                if r.kind == "event":
                    self._write_event(cur, r, result)
            for (topic, part), next_offset in result.offsets.items():
                # GREATEST/MAX: a stale instance that lost the partition cannot move the offset back.
                cur.execute(
                    self.sql(
                        "INSERT INTO consumer_offsets (grp, topic, part, next_offset) VALUES (:g, :t, :p, :o) "
                        "ON CONFLICT (grp, topic, part) DO UPDATE SET next_offset = "
                        f"{self._greatest}(consumer_offsets.next_offset, excluded.next_offset)"
                    ),
                    {"g": group, "t": topic, "p": part, "o": next_offset},
                )
        return result

    _greatest = "MAX"

    def _current_versions(self, cur: Any, ids: set[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start : start + 500]
            names = {f"i{n}": v for n, v in enumerate(chunk)}
            placeholders = ", ".join(f":{k}" for k in names)
            cur.execute(
                self.sql(f"SELECT id, current_version, current_hash FROM articles WHERE id IN ({placeholders})"),
                names,
            )
            for row in cur.fetchall():
                found[row[0]] = (int(row[1]), row[2])
        return found

    def _write_version(self, cur: Any, r: Record, current: dict[str, tuple[int, str]], result: BatchResult) -> None:
        row = version_row(r.message, r.source)
        article_id = row["article_id"]
        version, last_hash = current.get(article_id, (0, ""))
        if row["content_hash"] and row["content_hash"] == last_hash:
            result.repeats += 1  # the same content again (a producer re-send): not a new version
            return
        row["version"] = version + 1
        columns = ", ".join(row)
        values = ", ".join(f":{k}" for k in row)
        cur.execute(
            self.sql(
                f"INSERT INTO versions ({columns}) VALUES ({values}) "
                "ON CONFLICT (article_id, version) DO NOTHING RETURNING seq"
            ),
            row,
        )
        inserted = cur.fetchone()
        if inserted is None:
            return
        self._index_version(cur, int(inserted[0]), row["title"], row["body_text"])
        current[article_id] = (row["version"], row["content_hash"])
        result.versions += 1
        a = article_row(r.message)
        a.update(version=row["version"], hash=row["content_hash"])
        cur.execute(
            self.sql(
                "INSERT INTO articles (id, publisher, canonical_url, url, language, title, published_at, "
                "first_seen, last_seen, current_version, current_hash) VALUES (:id, :publisher, :canonical_url, "
                ":url, :language, :title, :published_at, :fetched_at, :fetched_at, :version, :hash) "
                "ON CONFLICT (id) DO UPDATE SET publisher = excluded.publisher, canonical_url = "
                "excluded.canonical_url, url = excluded.url, language = excluded.language, title = excluded.title, "
                "published_at = excluded.published_at, last_seen = excluded.last_seen, "
                "current_version = excluded.current_version, current_hash = excluded.current_hash"
            ),
            a,
        )
        if version == 0:
            result.articles += 1

    def _write_event(self, cur: Any, r: Record, result: BatchResult) -> None:
        row = event_row(r.message, r.source)
        columns = ", ".join(row)
        values = ", ".join(f":{k}" for k in row)
        cur.execute(
            self.sql(
                f"INSERT INTO events ({columns}) VALUES ({values}) ON CONFLICT (event_id) DO NOTHING RETURNING seq"
            ),
            row,
        )
        inserted = cur.fetchone()
        if inserted is not None:
            result.events += 1
            if row["notice_text"]:
                self._index_event(cur, int(inserted[0]), row["notice_text"], row["title"])

    # --- reads -----------------------------------------------------------------------------
    def events(
        self, flt: EventFilter, limit: int = 50, before: int | None = None, after: int | None = None
    ) -> list[dict[str, Any]]:
        """Events matching ``flt``, newest first (by arrival ``seq``); ``before``/``after`` page by seq."""
        where, params = flt.where()
        if before is not None:
            where += " AND e.seq < :before"
            params["before"] = before
        if after is not None:
            where += " AND e.seq > :after"
            params["after"] = after
        params["limit"] = limit
        return self.query(f"SELECT {EVENT_SELECT} FROM events e WHERE {where} ORDER BY e.seq DESC LIMIT :limit", params)

    def iter_events(self, flt: EventFilter, page: int = 1000) -> Iterator[dict[str, Any]]:
        """Every event matching ``flt``, newest first, read in pages (bounded memory for exports)."""
        before: int | None = None
        while True:
            rows = self.events(flt, limit=page, before=before)
            yield from rows
            if len(rows) < page:
                return
            before = int(rows[-1]["seq"])

    def article(self, article_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM articles WHERE id = :id", {"id": article_id})
        return rows[0] if rows else None

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Every version of an article without its texts, oldest first."""
        return self.query(
            "SELECT seq, article_id, version, title, content_hash, fetched_at, published_at, updated_at, source "
            "FROM versions WHERE article_id = :id ORDER BY version",
            {"id": article_id},
        )

    def version(self, article_id: str, version: int) -> dict[str, Any] | None:
        rows = self.query(
            f"SELECT {VERSION_SELECT} FROM versions WHERE article_id = :id AND version = :v",
            {"id": article_id, "v": version},
        )
        return rows[0] if rows else None

    def article_events(self, article_id: str) -> list[dict[str, Any]]:
        return self.query(
            f"SELECT {EVENT_SELECT} FROM events e WHERE e.article_id = :id ORDER BY e.version, e.seq",
            {"id": article_id},
        )

    def referencing_events(self, article_id: str) -> list[dict[str, Any]]:
        """Events of other articles whose notice points at this one (``corrected by``)."""
        return self.query(
            f"SELECT {EVENT_SELECT} FROM events e WHERE e.ref_article_id = :id AND e.article_id <> :id "
            "ORDER BY e.seq DESC LIMIT 50",
            {"id": article_id},
        )

    def titles(self, ids: Sequence[str]) -> dict[str, str]:
        """Current titles of the given articles (for links)."""
        if not ids:
            return {}
        names = {f"i{n}": v for n, v in enumerate(sorted(set(ids))[:500])}
        rows = self.query(f"SELECT id, title FROM articles WHERE id IN ({', '.join(':' + k for k in names)})", names)
        return {r["id"]: r["title"] for r in rows}

    def facets(self) -> dict[str, list[str]]:
        """Distinct publishers and languages of events, for the filter form."""
        publishers = self.query("SELECT DISTINCT publisher FROM events WHERE publisher IS NOT NULL ORDER BY 1")
        languages = self.query("SELECT DISTINCT language FROM events WHERE language IS NOT NULL ORDER BY 1")
        return {"publishers": [r["publisher"] for r in publishers], "languages": [r["language"] for r in languages]}

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("articles", "versions", "events"):
            out[table] = int(self.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])  # noqa: S608 - fixed names
        return out


def newest_per_article(hits: Sequence[dict[str, Any]], limit: int) -> list[int]:
    """The ``seq`` of the first hit of each article (hits come newest first), at most ``limit``."""
    seen: set[str] = set()
    chosen: list[int] = []
    for hit in hits:
        if hit["article_id"] not in seen and len(chosen) < limit:
            seen.add(hit["article_id"])
            chosen.append(int(hit["seq"]))
    return chosen


def open_store(dsn: str | None, state_dir: Path | str = ".newsstream", *, readonly: bool = False) -> ArchiveStore:
    """The store for NEWSSTREAM_ARCHIVE_DSN: ``postgresql://…``, ``sqlite:///path``, or SQLite in ``state_dir``."""
    if dsn and dsn.startswith(("postgresql://", "postgres://")):
        from consumers.archive.pg_store import PostgresStore

        return PostgresStore(dsn)
    from consumers.archive.sqlite_store import SqliteStore

    if dsn and dsn.startswith("sqlite:///"):
        return SqliteStore(Path(dsn.removeprefix("sqlite:///")), readonly=readonly)
    if dsn:
        from newsstream.errors import ConfigError

        raise ConfigError(f"NEWSSTREAM_ARCHIVE_DSN={dsn.split('@')[-1]!r}: use postgresql://… or sqlite:///path")
    return SqliteStore(Path(state_dir) / "archive.sqlite3", readonly=readonly)
