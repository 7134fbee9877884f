"""The archive on PostgreSQL (psycopg 3): versioned migrations at start, full-text search with tsvector.

Text search uses the ``simple`` configuration (no stemming, no stop words) because the feeds are
multilingual; SQLite's FTS5 ``unicode61`` tokenizer matches the same way, so both backends find the
same words. Each thread gets its own connection; the stage writes from one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from consumers.archive.sqlite_store import SNIPPET_CLOSE, SNIPPET_OPEN
from consumers.archive.store import EVENT_SELECT, ArchiveStore, newest_per_article

_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
#: Serialises migrations of concurrent starters (any constant; pg_advisory_xact_lock's key).
_MIGRATION_LOCK = 0x6E657773

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
                seq BIGSERIAL PRIMARY KEY, article_id TEXT NOT NULL, version INTEGER NOT NULL,
                title TEXT NOT NULL, summary_text TEXT NOT NULL, body_text TEXT NOT NULL,
                content_hash TEXT NOT NULL, fetched_at TEXT, published_at TEXT, updated_at TEXT,
                source TEXT NOT NULL, src_partition INTEGER NOT NULL, src_offset BIGINT NOT NULL,
                tsv tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body_text), 'B')
                ) STORED,
                UNIQUE (article_id, version))""",
            "CREATE INDEX versions_tsv ON versions USING GIN (tsv)",
            """CREATE TABLE events (
                seq BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
                type TEXT NOT NULL, version INTEGER NOT NULL, detected_at TEXT, title TEXT NOT NULL, url TEXT,
                publisher TEXT, language TEXT, method TEXT, notice_text TEXT, notice_field TEXT,
                span_start INTEGER, span_end INTEGER, previous_version INTEGER, previous_title TEXT,
                words_added INTEGER, words_removed INTEGER, diff_json TEXT, ref_title TEXT,
                ref_article_id TEXT, ref_score DOUBLE PRECISION, src_partition INTEGER NOT NULL,
                src_offset BIGINT NOT NULL,
                notice_tsv tsvector GENERATED ALWAYS AS (
                    to_tsvector('simple', coalesce(notice_text, '') || ' ' || title)
                ) STORED)""",
            "CREATE INDEX events_notice_tsv ON events USING GIN (notice_tsv)",
            "CREATE INDEX events_article ON events (article_id, version)",
            "CREATE INDEX events_ref ON events (ref_article_id)",
            "CREATE INDEX events_type ON events (type, seq)",
            "CREATE INDEX events_publisher ON events (publisher, seq)",
            """CREATE TABLE consumer_offsets (
                grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset BIGINT NOT NULL,
                PRIMARY KEY (grp, topic, part))""",
        ],
    ),
]

_HEADLINE = f"StartSel={SNIPPET_OPEN}, StopSel={SNIPPET_CLOSE}, MaxWords=30, MinWords=12, MaxFragments=1"


class PostgresStore(ArchiveStore):
    """The archive in a PostgreSQL database given by a ``postgresql://`` DSN."""

    backend = "postgresql"
    _greatest = "GREATEST"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._local = threading.local()
        self._all: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    def _conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.dsn, autocommit=True, row_factory=dict_row, connect_timeout=10)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def sql(self, statement: str) -> str:
        return _PARAM.sub(r"%(\1)s", statement)

    def migrate(self) -> int:
        conn = self._conn()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            applied = {int(r["version"]) for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, statements in MIGRATIONS:
                if version in applied:
                    continue
                for statement in statements:  # DDL is transactional in PostgreSQL: all or nothing
                    conn.execute(statement)  # fixed DDL, no parameters
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
        return max(v for v, _ in MIGRATIONS)

    def schema_version(self) -> int:
        rows = self.query("SELECT MAX(version) AS v FROM schema_migrations")
        return int(rows[0]["v"] or 0)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        conn = self._conn()
        with conn.transaction(), conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
            yield cur

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._conn().cursor() as cur:
            cur.execute(self.sql(sql), params or {})
            return list(cur.fetchall())

    def search(self, text: str, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        if not text.strip():
            return {"versions": [], "notices": []}
        params = {"q": text[:500], "n": limit * 4, "opts": _HEADLINE, "limit": limit}
        # The newest matches through the GIN index, one per article; headlines only for those shown.
        hits = self.query(
            "SELECT seq, article_id FROM versions WHERE tsv @@ websearch_to_tsquery('simple', :q) "
            "ORDER BY seq DESC LIMIT :n",
            params,
        )
        seqs = newest_per_article(hits, limit)
        versions = []
        if seqs:
            versions = self.query(
                "SELECT v.seq, v.article_id, v.version, v.title, v.fetched_at, a.publisher, a.language, "
                "ts_headline('simple', v.body_text, websearch_to_tsquery('simple', :q), :opts) AS snippet "
                "FROM versions v LEFT JOIN articles a ON a.id = v.article_id WHERE v.seq = ANY(:seqs) "
                "ORDER BY v.seq DESC",
                {**params, "seqs": seqs},
            )
        notices = self.query(
            f"SELECT {EVENT_SELECT}, ts_headline('simple', coalesce(e.notice_text, ''), "
            "websearch_to_tsquery('simple', :q), :opts) AS snippet FROM events e "
            "WHERE e.notice_tsv @@ websearch_to_tsquery('simple', :q) ORDER BY e.seq DESC LIMIT :limit",
            params,
        )
        return {"versions": versions, "notices": notices}

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
