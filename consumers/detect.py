"""``detect(state, article) -> (events, new_state)``: typed correction events for one article version.

Pure: no Kafka, no clock unless ``now`` is omitted, no global state. The stage
(``newsstream detect-corrections``) and the offline CLI (``newsstream detect``) both call it, in the
same order, so they give the same events (same ``event_id``) for the same input.

What it reports, per NormalizedArticle version (only ``id``, ``title`` and ``body_text`` required):

- **notice** events (``correction``, ``clarification``, ``update``, ``retraction``, ``editors_note``,
  ``headline_change``) for editorial notices in the title or body that the previous version did not
  carry (see :mod:`articles.notices`); a notice naming an earlier headline gets a
  ``referenced_article`` resolved through the :class:`~consumers.title_index.TitleIndex`;
- **diff** events against the previous version: ``headline_change`` when the title changed beyond
  case, quotes, punctuation and whitespace; ``content_change`` when the body did, with a bounded
  summary; ``update`` instead when material was only added at the end or the top (live blogs).
  Sentences that are themselves new notices are left out of the diff, so a version that only adds a
  "CORRECTION: …" paragraph yields the notice event, not also a diff event.

Versions: the first sighting is version 1. A version whose content hash equals the state's, or whose
text equals (modulo noise) the current or one of the recent earlier versions (``seen_fingerprints``),
is a replay or noise: ``([], state)`` with the *same* state object (the stage need not write the
changelog, nor index the title). So is a version whose differences produce no event at all (a feed's
tag line such as "Politics, World", or edits past ``BODY_LIMIT``). Anything else increments ``version``.

Title-index ordering (the stage must do the same as the CLI): for each article, in input order,

1. look up referenced headlines in the index as it stands (every *earlier* article already added);
2. then add the article's own ``(publisher, title) -> id`` to the index (``news.titles.v1``), for
   every version that produced a new state (a headline change adds the new headline; the old key
   stays, so notices naming an earlier headline still resolve).

:func:`index_article` does step 2; :func:`detect` never mutates the index; :func:`step` does both, and
is what the stage and the CLI call.

Page revisits (``source: "page"``, from the pages producer; see ``producers/pages``):

- a version whose ``page.gone`` is set yields one ``unpublished`` event (evidence method ``page``)
  and nothing else; the state is unchanged (the event id is deterministic, so a replay dedupes);
- a ``page.json_ld_correction`` (schema.org ``correction``) not seen before yields a ``correction``
  event carrying that text (unless a new notice in the body already says the same);
- when the source switches (feed text to page text, or back), the new version is a *baseline*: its
  new notices are reported, but it is not diffed against the other source's text (a feed summary is
  not an earlier version of the page). Which source the state holds is a mark in ``notices_seen``.

``event_id`` = 32 hex of BLAKE2b over (article id, version, type, notice key or diff fingerprint):
replaying the same input gives the same ids.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from articles.notices import Notice, find_notices, model_name, notice_key
from consumers.detector_state import BODY_LIMIT, MAX_NOTICES, ArticleState
from consumers.title_index import TitleIndex, title_key
from consumers.versions import (
    Sentences,
    body_sentences,
    compare_key,
    content_hash,
    diff_bodies,
    fingerprint,
    sketch,
    summary,
)

#: An append shorter than this many words (e.g. a feed adding "Politics, World") is a content_change.
MIN_APPEND_WORDS = 4
#: Mark in ``notices_seen``: the state's text came from the article page (``source: page``).
PAGE_SOURCE_MARK = "src:page"


def _utc(now: datetime | None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _event_id(article_id: str, version: int, kind: str, discriminator: str) -> str:
    data = f"{article_id}\x00{version}\x00{kind}\x00{discriminator}".encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def detect(
    state: ArticleState | None,
    article: dict[str, Any],
    *,
    titles: TitleIndex | None = None,
    now: datetime | None = None,
    threshold: float | None = None,
) -> tuple[list[dict[str, Any]], ArticleState]:
    """Events for one version of one article, and the state to keep for it (see the module doc).

    ``threshold``: least notice score reported (``NEWSSTREAM_NOTICE_THRESHOLD``; None: the model's).
    """
    article_id = str(article["id"])
    title = str(article.get("title") or "")
    body = str(article.get("body_text") or "")
    publisher = article.get("publisher")
    url = article.get("url") or article.get("canonical_url")
    language = article.get("language")
    page = article.get("page") if isinstance(article.get("page"), dict) else None
    if page is not None and page.get("gone"):
        gone = _unpublished(state, article, page, now)
        if state is None:  # never saw a version: remember the id only
            state = ArticleState(article_id, 1, "", content_hash="", publisher=publisher, language=language)
        return gone, state
    chash = str(article.get("content_hash") or content_hash(title, body))
    ld_text = _json_ld_correction(page)
    ld_key = notice_key("json_ld_correction", ld_text) if ld_text else None
    new_ld = ld_key is not None and (state is None or ld_key not in state.notices_seen)
    # The version's identity, computed once by the normalizer (older messages: computed here).
    fp = str(article.get("fingerprint") or fingerprint(title, body))
    if state is not None and (state.has_seen(fp) or state.content_hash == chash) and not new_ld:
        return [], state
    from_page = article.get("source") == "page"
    switched = state is not None and (PAGE_SOURCE_MARK in state.notices_seen) != from_page

    version = 1 if state is None else state.version + 1
    detected_at = _utc(now)
    notices = find_notices(title, body, threshold=threshold)
    seen = set(state.notices_seen) if state is not None else set()
    new_notices = [n for n in notices if n.key not in seen]

    def event(kind: str, evidence: dict[str, Any], discriminator: str, **extra: Any) -> dict[str, Any]:
        return {
            "event_id": _event_id(article_id, version, kind, discriminator),
            "type": kind,
            "article_id": article_id,
            "version": version,
            "detected_at": detected_at,
            "title": title,
            "url": url,
            "publisher": publisher,
            "language": language,
            "evidence": evidence,
            "previous": (
                None
                if state is None
                else {"title": state.title, "content_hash": state.content_hash, "version": state.version}
            ),
            "diff": extra.get("diff"),
            "referenced_article": extra.get("referenced_article"),
        }

    events: list[dict[str, Any]] = []
    emitted_keys: set[str] = set()
    for notice in new_notices:
        if notice.key in emitted_keys:
            continue
        emitted_keys.add(notice.key)
        events.append(
            event(
                notice.kind,
                {
                    "method": "notice",
                    "notice_text": notice.text,
                    "span": [notice.start, notice.end],
                    "field": notice.field,
                    "cue": notice.cue[:100],
                    "model": model_name() if notice.field == "body_text" else None,
                    "score": notice.score,
                },
                notice.key,
                referenced_article=_reference(notice, publisher, titles),
            )
        )

    sentences = body_sentences(body[:BODY_LIMIT])
    if new_ld and ld_text is not None and ld_key is not None and not _said_in(ld_text, new_notices):
        found = find_notices("", ld_text, threshold=threshold)
        events.append(
            event(
                "correction",
                {"method": "notice", "notice_text": ld_text[:1000], "span": None, "field": None,
                 "cue": "schema.org correction"},
                ld_key,
                referenced_article=_reference(found[0], publisher, titles) if found else None,
            )
        )  # fmt: skip

    if state is not None and not switched:
        events.extend(_diff_events(state, title, sentences, new_notices, event))
        if not events:
            # only noise the hash sees and the comparison does not (a feed's tag line, text past
            # BODY_LIMIT): not a new version
            return [], state

    keys = [k for k in state.notices_seen if k != PAGE_SOURCE_MARK] if state is not None else []
    for notice in notices:
        if notice.key not in keys:
            keys.append(notice.key)
    if ld_key is not None and ld_key not in keys:
        keys.append(ld_key)
    keys = keys[-(MAX_NOTICES - 1) :] + ([PAGE_SOURCE_MARK] if from_page else [])  # the mark survives trims
    new_state = ArticleState(
        article_id=article_id,
        version=version,
        title=title,
        content_hash=chash,
        notices_seen=keys,
        publisher=publisher,
        language=language,
        seen_fingerprints=[*(state.seen_fingerprints if state is not None else []), fp],
        body=sketch(sentences),
    )
    return events, new_state


def _json_ld_correction(page: dict[str, Any] | None) -> str | None:
    text = page.get("json_ld_correction") if page is not None else None
    return (" ".join(text.split()) or None) if isinstance(text, str) else None


def _said_in(text: str, notices: list[Notice]) -> bool:
    """True when a notice found in the body already carries ``text`` (or is carried by it)."""
    folded = " ".join(text.casefold().split())
    for notice in notices:
        other = " ".join(notice.text.casefold().split())
        if other and (other in folded or folded in other):
            return True
    return False


def _unpublished(
    state: ArticleState | None, article: dict[str, Any], page: dict[str, Any], now: datetime | None
) -> list[dict[str, Any]]:
    """The ``unpublished`` event of a gone page, against the last version seen."""
    article_id = str(article["id"])
    version = 1 if state is None else state.version + 1
    reason = str(page.get("reason") or (f"http_{page['status']}" if page.get("status") else "gone"))
    return [
        {
            "event_id": _event_id(article_id, version, "unpublished", reason),
            "type": "unpublished",
            "article_id": article_id,
            "version": version,
            "detected_at": _utc(now),
            "title": state.title if state is not None else str(article.get("title") or ""),
            "url": article.get("url") or article.get("canonical_url"),
            "publisher": state.publisher if state is not None else article.get("publisher"),
            "language": state.language if state is not None else article.get("language"),
            "evidence": {"method": "page", "notice_text": None, "span": None, "field": None, "cue": reason[:100]},
            "previous": (
                None
                if state is None
                else {"title": state.title, "content_hash": state.content_hash, "version": state.version}
            ),
            "diff": None,
            "referenced_article": None,
        }
    ]


def _reference(notice: Notice, publisher: str | None, titles: TitleIndex | None) -> dict[str, Any] | None:
    if notice.referenced_title is None:
        return None
    hit = titles.lookup(publisher, notice.referenced_title) if titles is not None else None
    if hit is None:
        return {"title": notice.referenced_title, "article_id": None, "score": 0.0}
    return {"title": notice.referenced_title, "article_id": hit[0], "score": float(hit[1])}


def _diff_events(
    state: ArticleState, title: str, sentences: Sentences, new_notices: list[Notice], event: Any
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    title_changed = compare_key(title) != compare_key(state.title)
    old_body = state.body
    diff = diff_bodies(old_body, sentences)
    notice_spans = [(n.start, n.end) for n in new_notices if n.field == "body_text"]

    def inside_notice(span: tuple[int, int]) -> bool:
        return any(s <= span[0] and span[1] <= e for s, e in notice_spans)

    if diff.changed and notice_spans:
        # leave out added sentences that are new notices themselves (reported as notice events)
        kept = [
            (change, known)
            for change, known, sp in zip(diff.changes, diff.before_kept, _after_spans(diff), strict=True)
            if not (change[0] is None and known and sp is not None and inside_notice(sp))
        ]
        diff.changes = [change for change, _known in kept]
        diff.before_kept = [known for _change, known in kept]
    if title_changed:
        disc = fingerprint(title, "") + fingerprint(state.title, "")
        events.append(
            event(
                "headline_change",
                {"method": "diff", "notice_text": None, "span": None, "field": "title", "cue": None},
                disc,
                diff=summary(diff, True)
                if diff.changed
                else {
                    "title_changed": True,
                    "words_added": 0,
                    "words_removed": 0,
                    "changed_sentences": [],
                    "truncated": False,
                },
            )
        )
    if diff.changed:
        kind = "content_change"
        if diff.append_only and diff.words_added >= MIN_APPEND_WORDS:
            kind = "update"
        disc = _digest(old_body.hashes) + _digest(b"".join(sentences.hashes))
        events.append(
            event(
                kind,
                {"method": "diff", "notice_text": None, "span": None, "field": "body_text", "cue": None},
                disc,
                diff=summary(diff, title_changed),
            )
        )
    return events


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _after_spans(diff: Any) -> list[tuple[int, int] | None]:
    """New-body span per change (None for a removed sentence), aligned with ``diff.changes``."""
    spans: list[tuple[int, int] | None] = []
    it = iter(diff.new_spans)
    for _before, after in diff.changes:
        spans.append(next(it, None) if after is not None else None)
    return spans


def step(
    state: ArticleState | None,
    article: dict[str, Any],
    titles: TitleIndex,
    *,
    now: datetime | None = None,
    threshold: float | None = None,
) -> tuple[list[dict[str, Any]], ArticleState, str | None]:
    """One article through the detector, in the ordering both the stage and the CLI must follow.

    Detects against the index as it stands, then (for a new state) adds the article's headline to it.
    Returns the events, the state, and the title key newly written to the index (None when nothing new:
    the stage writes a ``news.titles.v1`` record only then).
    """
    events, new_state = detect(state, article, titles=titles, now=now, threshold=threshold)
    added = None
    if new_state is not state:
        before = titles.get(title_key(article.get("publisher"), str(article.get("title") or "")))
        added = index_article(titles, article)
        if before == str(article["id"]):
            added = None  # already indexed: no record to write
    return events, new_state, added


def index_article(titles: TitleIndex, article: dict[str, Any]) -> str | None:
    """Step 2 of the ordering: add the article's own headline to the index; returns the key."""
    title = str(article.get("title") or "")
    if not title:
        return None
    return titles.add(article.get("publisher"), title, str(article["id"]))
