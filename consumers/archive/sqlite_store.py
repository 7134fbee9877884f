"""The embedded archive: one SQLite file (WAL), FTS5 over titles, bodies and notices.

WAL lets the web page read while the archive writes. Each thread gets its own connection (sqlite3
connections must not be shared across threads); the stage writes from one thread only.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from consumers.archive.store import EVENT_SELECT, ArchiveStore, newest_per_article

#: Versioned migrations: (version, statements). Append only; never edit an applied one.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE articles (
                id TEXT PRIMARY KEY, publisher TEXT, canonical_url TEXT, url TEXT, language TEXT,
                title TEXT NOT NULL, published_at TEXT, first_seen TEXT, last_seen TEXT,
                current_version INTEGER NOT NULL, current_hash TEXT NOT NULL)""",
            """CREATE TABLE versions (
                seq INTEGER PRIMARY KEY, article_id TEXT NOT NULL, version INTEGER NOT NULL,
                title TEXT NOT NULL, summary_text TEXT NOT NULL, body_text TEXT NOT NULL,
                content_hash TEXT NOT NULL, fetched_at TEXT, published_at TEXT, updated_at TEXT,
                source TEXT NOT NULL, src_partition INTEGER NOT NULL, src_offset INTEGER NOT NULL,
                UNIQUE (article_id, version))""",
            """CREATE TABLE events (
                seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
                type TEXT NOT NULL, version INTEGER NOT NULL, detected_at TEXT, title TEXT NOT NULL, url TEXT,
                publisher TEXT, language TEXT, method TEXT, notice_text TEXT, notice_field TEXT,
                span_start INTEGER, span_end INTEGER, previous_version INTEGER, previous_title TEXT,
                words_added INTEGER, words_removed INTEGER, diff_json TEXT, ref_title TEXT,
                ref_article_id TEXT, ref_score REAL, src_partition INTEGER NOT NULL, src_offset INTEGER NOT NULL)""",
            "CREATE INDEX events_article ON events (article_id, version)",
            "CREATE INDEX events_ref ON events (ref_article_id)",
            "CREATE INDEX events_type ON events (type, seq)",
            "CREATE INDEX events_publisher ON events (publisher, seq)",
            """CREATE TABLE consumer_offsets (
                grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset INTEGER NOT NULL,
                PRIMARY KEY (grp, topic, part))""",
            # External-content FTS5 tables: the text lives once, in versions/events. detail=column keeps
            # no word positions (searches are words, not phrases): writes ~35% faster than detail=full.
            "CREATE VIRTUAL TABLE versions_fts USING fts5(title, body_text, content='versions', content_rowid='seq', "
            "detail=column)",
            "CREATE VIRTUAL TABLE events_fts USING fts5(notice_text, title, content='events', content_rowid='seq', "
            "detail=column)",
        ],
    ),
]

SNIPPET_OPEN, SNIPPET_CLOSE = "\ue000", "\ue001"  # private-use markers: escaped text, then <mark>


def fts_query(text: str) -> str:
    """User text as an FTS5 query: every word must match, as a quoted string (no FTS syntax)."""
    words = [w.replace('"', '""') for w in text.split() if w.strip()]
    return " ".join(f'"{w}"' for w in words[:20])


class SqliteStore(ArchiveStore):
    """The archive in one SQLite file."""

    backend = "sqlite"

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        if not readonly:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.readonly:
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False)  # fmt: skip
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a commit survives a process crash (SIGKILL); only a power loss
                # can drop the last transactions, and then offsets and rows go back together.
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB per connection: FTS and b-tree pages stay cached
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def migrate(self) -> int:
        conn = self._conn()
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
        applied = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, statements in MIGRATIONS:
            if version in applied:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", (version,)
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return max(v for v, _ in MIGRATIONS)

    def schema_version(self) -> int:
        rows = self.query("SELECT MAX(version) AS v FROM schema_migrations")
        return int(rows[0]["v"] or 0)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.cursor()
        try:
            yield cur
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [dict(row) for row in self._conn().execute(sql, params or {})]

    def _index_version(self, cur: Any, seq: int, title: str, body: str) -> None:
        cur.execute("INSERT INTO versions_fts (rowid, title, body_text) VALUES (?, ?, ?)", (seq, title, body))

    def _index_event(self, cur: Any, seq: int, notice: str, title: str) -> None:
        cur.execute("INSERT INTO events_fts (rowid, notice_text, title) VALUES (?, ?, ?)", (seq, notice, title))

    def search(self, text: str, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        match = fts_query(text)
        if not match:
            return {"versions": [], "notices": []}
        o, c = SNIPPET_OPEN, SNIPPET_CLOSE
        # Newest matching versions first (rowid order is cheap in FTS5), one per article; snippets
        # (which re-read each body) only for the rows shown.
        hits = self.query(
            "SELECT versions_fts.rowid AS seq, v.article_id FROM versions_fts CROSS JOIN versions v "
            "ON v.seq = versions_fts.rowid WHERE versions_fts MATCH :q ORDER BY versions_fts.rowid DESC LIMIT :n",
            {"q": match, "n": limit * 4},
        )
        seqs = {f"s{n}": seq for n, seq in enumerate(newest_per_article(hits, limit))}
        versions = []
        if seqs:
            versions = self.query(
                f"SELECT v.seq, v.article_id, v.version, v.title, v.fetched_at, a.publisher, a.language, "
                f"snippet(versions_fts, 1, '{o}', '{c}', '…', 16) AS snippet "
                "FROM versions_fts CROSS JOIN versions v ON v.seq = versions_fts.rowid "
                "LEFT JOIN articles a ON a.id = v.article_id WHERE versions_fts MATCH :q "
                f"AND versions_fts.rowid IN ({', '.join(':' + k for k in seqs)}) ORDER BY versions_fts.rowid DESC",
                {"q": match, **seqs},
            )
        notices = self.query(
            f"SELECT {EVENT_SELECT}, snippet(events_fts, 0, '{o}', '{c}', '…', 24) AS snippet "
            "FROM events_fts CROSS JOIN events e ON e.seq = events_fts.rowid "
            "WHERE events_fts MATCH :q ORDER BY events_fts.rowid DESC LIMIT :n",
            {"q": match, "n": limit},
        )
        return {"versions": versions, "notices": notices}

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
