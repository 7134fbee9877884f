"""Per-feed fetch state in one SQLite file: validators, permanent URL, timing, last error, and the
fingerprints of entries already emitted (every entry still in the feed, and a bounded number of
recent others).

Why SQLite and not the compacted topic ``news.producer-state.v1``: the state is read and written on
every poll of every feed, per entry; a local transactional file makes "record a fingerprint only
after Kafka acknowledged the message" one ``COMMIT``, survives restarts with no restore phase, and
needs no extra topic round trips. The cost is a volume for ``NEWSSTREAM_STATE_DIR`` in containers;
a lost volume means one re-emission of each feed's current entries (downstream dedupes by
``article_id`` + fingerprint), never a lost entry.

Writes happen only from the produce loop's thread; reads for ``feeds status`` may come from another
process (WAL mode lets them run while the producer writes).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsstream import codec

#: Every entry still in a feed's document is remembered, however many (a 50,000-item feed was
#: ingested again on every poll with a fixed 2,000). Of the entries no longer in it, at most this
#: many (the newest by last sighting) are kept, and none longer than MAX_ENTRY_AGE_S: an entry
#: that left the feed and comes back after that is emitted once more.
MAX_ENTRIES_PER_FEED = 2000
MAX_ENTRY_AGE_S = 30 * 86400.0
STATE_FILE = "producer-state.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    current_url TEXT,
    etag TEXT,
    last_modified TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_outcome TEXT,
    last_error TEXT,
    last_fetch_at REAL,
    last_success_at REAL,
    next_due_at REAL,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    timing TEXT
);
CREATE TABLE IF NOT EXISTS entries (
    feed_url TEXT NOT NULL,
    article_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (feed_url, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_age ON entries (feed_url, seen_at);
CREATE TABLE IF NOT EXISTS feed_stats (
    url TEXT PRIMARY KEY,
    polls INTEGER NOT NULL DEFAULT 0,
    versions_emitted INTEGER NOT NULL DEFAULT 0,
    bad_entries INTEGER NOT NULL DEFAULT 0,
    last_note TEXT
);
"""


@dataclass
class FeedState:
    """What the store knows of one feed (``url`` is the URL in feeds.toml, the stable key)."""

    url: str
    current_url: str | None = None  # after a permanent redirect
    etag: str | None = None
    last_modified: str | None = None
    disabled: bool = False
    last_status: int | None = None
    last_outcome: str | None = None
    last_error: str | None = None
    last_fetch_at: float | None = None
    last_success_at: float | None = None
    next_due_at: float | None = None
    consecutive_errors: int = 0
    timing: dict[str, Any] | None = None  # producers.schedule.FeedTiming as a dict

    @property
    def fetch_url(self) -> str:
        return self.current_url or self.url


_FEED_COLUMNS = (
    "url", "current_url", "etag", "last_modified", "disabled", "last_status", "last_outcome", "last_error",
    "last_fetch_at", "last_success_at", "next_due_at", "consecutive_errors", "timing",
)  # fmt: skip


class StateStore:
    """The SQLite-backed store; one instance per process (not thread-safe by design)."""

    def __init__(
        self, path: Path | str, max_entries_per_feed: int = MAX_ENTRIES_PER_FEED, max_age_s: float = MAX_ENTRY_AGE_S
    ) -> None:
        path = Path(path)
        if path.suffix == "" or path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            path = path / STATE_FILE
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_entries = max_entries_per_feed
        self.max_age_s = max_age_s
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- feeds ---------------------------------------------------------------------------------

    def feed(self, url: str) -> FeedState:
        row = self._db.execute(f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds WHERE url = ?", (url,)).fetchone()  # noqa: S608
        return self._row_to_state(row) if row else FeedState(url=url)

    def all_feeds(self) -> dict[str, FeedState]:
        rows = self._db.execute(f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds").fetchall()  # noqa: S608
        return {row[0]: self._row_to_state(row) for row in rows}

    @staticmethod
    def _row_to_state(row: tuple[Any, ...]) -> FeedState:
        values = dict(zip(_FEED_COLUMNS, row, strict=True))
        values["disabled"] = bool(values["disabled"])
        values["timing"] = codec.loads(values["timing"]) if values["timing"] else None
        return FeedState(**values)

    def _put_feed(self, state: FeedState) -> None:
        values = [getattr(state, c) for c in _FEED_COLUMNS]
        values[_FEED_COLUMNS.index("disabled")] = int(state.disabled)
        values[_FEED_COLUMNS.index("timing")] = codec.dumps(state.timing).decode() if state.timing else None
        placeholders = ", ".join("?" for _ in _FEED_COLUMNS)
        self._db.execute(f"INSERT OR REPLACE INTO feeds ({', '.join(_FEED_COLUMNS)}) VALUES ({placeholders})", values)  # noqa: S608

    # --- entries -------------------------------------------------------------------------------

    def fingerprints(self, feed_url: str) -> dict[str, str]:
        """article_id -> fingerprint of what was last emitted for this feed."""
        rows = self._db.execute("SELECT article_id, fingerprint FROM entries WHERE feed_url = ?", (feed_url,))
        return dict(rows.fetchall())

    def commit_poll(
        self,
        state: FeedState,
        emitted: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        seen: Iterable[str] = (),
        now: float | None = None,
    ) -> None:
        """In one transaction: the feed's new state, the fingerprints of acknowledged emits, the
        sighting time of every entry still in the document, and the per-feed bound."""
        now = time.time() if now is None else now
        pairs = list(emitted.items() if isinstance(emitted, Mapping) else emitted)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._put_feed(state)
            if pairs:
                db.executemany(
                    "INSERT OR REPLACE INTO entries (feed_url, article_id, fingerprint, seen_at) VALUES (?, ?, ?, ?)",
                    [(state.url, aid, fp, now) for aid, fp in pairs],
                )
            seen_ids = [(now, state.url, aid) for aid in seen]
            if seen_ids:
                db.executemany("UPDATE entries SET seen_at = ? WHERE feed_url = ? AND article_id = ?", seen_ids)
            if pairs or seen_ids:
                # Entries sighted now (still in the document) are all kept; the others are bounded.
                db.execute("DELETE FROM entries WHERE feed_url = ? AND seen_at < ?", (state.url, now - self.max_age_s))
                db.execute(
                    "DELETE FROM entries WHERE feed_url = ? AND article_id IN ("
                    " SELECT article_id FROM entries WHERE feed_url = ? AND seen_at < ?"
                    " ORDER BY seen_at DESC LIMIT -1 OFFSET ?)",
                    (state.url, state.url, now, self.max_entries),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # --- per-feed numbers (for `feeds status`; a separate table, so older state files just gain it) ---

    def count_poll(
        self, feed_url: str, versions_emitted: int, bad_entries: int, note: str | None, parsed: bool
    ) -> None:
        """Add one poll's numbers. A poll that ``parsed`` a document sets the note (a wrong declared
        type, a skipped entry; None when all was well); a 304 or a failed fetch keeps the last one."""
        self._db.execute(
            "INSERT INTO feed_stats (url, polls, versions_emitted, bad_entries, last_note) VALUES (?, 1, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET polls = polls + 1, versions_emitted = versions_emitted + ?, "
            "bad_entries = bad_entries + ?, last_note = CASE WHEN ? THEN ? ELSE last_note END",
            (feed_url, versions_emitted, bad_entries, note, versions_emitted, bad_entries, parsed, note),
        )

    def all_stats(self) -> dict[str, dict[str, Any]]:
        """url -> polls, versions_emitted, bad_entries, last_note, articles (fingerprints remembered)."""
        rows = self._db.execute("SELECT url, polls, versions_emitted, bad_entries, last_note FROM feed_stats")
        stats = {url: {"polls": p, "versions_emitted": v, "bad_entries": b, "last_note": n} for url, p, v, b, n in rows}
        for url, count in self._db.execute("SELECT feed_url, count(*) FROM entries GROUP BY feed_url"):
            stats.setdefault(url, {"polls": 0, "versions_emitted": 0, "bad_entries": 0, "last_note": None})
            stats[url]["articles"] = count
        return stats

    def article_feeds(self) -> dict[str, str]:
        """article_id -> the feed it was last emitted from (to attribute events to feeds)."""
        rows = self._db.execute("SELECT article_id, feed_url FROM entries ORDER BY seen_at")
        return dict(rows.fetchall())

    def entry_count(self, feed_url: str) -> int:
        return int(self._db.execute("SELECT count(*) FROM entries WHERE feed_url = ?", (feed_url,)).fetchone()[0])
