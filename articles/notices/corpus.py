"""The labelled notices corpus (``corpus/notices/*.jsonl``), read in place, and its split by source.

Split rule (fixed once, reproducible): the *source* of an item is the registrable domain of its
``source_url`` (an archive or proxy copy counts as the page it copies; a GitHub data set as its
repository); ``bucket = int(blake2b(source)[:8], 16) % 100`` gives train (< 60), dev (< 80) or test.
No source is in two splits. Report quality on test only; choose anything on train or dev.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

#: Where the shared corpora live unless ``NEWSSTREAM_CORPUS`` says otherwise.
DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
SPLIT_RULE = "source = registrable domain of source_url (archive copies unwrapped; github: owner/repo; "
SPLIT_RULE += "blog hosts: the blog); "
SPLIT_RULE += "bucket = int(blake2b(source, digest_size=8).hexdigest(), 16) % 100: train < 60 <= dev < 80 <= test"
SPLITS = ("train", "dev", "test")
# second-level labels under which a registrable domain has three labels (bbc.co.uk, abc.net.au)
_SECOND_LEVEL = frozenset("co com org net gov ac edu ne or go gob".split())
# hosts whose subdomains are separate sites (a public-suffix entry each)
_SHARED_HOSTS = frozenset({"blogspot.com", "wordpress.com", "substack.com", "medium.com", "github.io", "tumblr.com"})
_EMBEDDED_URL = re.compile(r"https?:/+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled corpus item (see the corpus README for the fields)."""

    id: str
    label: str
    text: str
    notice: str
    referenced_title: str
    language: str
    source_url: str
    note: str

    @property
    def source(self) -> str:
        return source_of(self.source_url)

    @property
    def split(self) -> str:
        return split_of(self.source)


def corpus_dir() -> Path:
    """The notices corpus folder (``$NEWSSTREAM_CORPUS/notices`` or the shared default)."""
    root = os.environ.get("NEWSSTREAM_CORPUS")
    return (Path(root) if root else DEFAULT_CORPUS) / "notices"


def source_of(url: str) -> str:
    """The source an item is grouped by when splitting (see the module docstring)."""
    starts = [m.start() for m in _EMBEDDED_URL.finditer(url)]
    if len(starts) > 1:  # an archive or proxy copy: the last embedded URL is the page copied
        url = url[starts[-1] :]
    url = re.sub(r"^(https?:)/+", r"\1//", url.split(" ")[0])
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:  # a description instead of a URL: the description is the source
        return " ".join(url.casefold().split())
    if host == "github.com":
        return "github.com/" + "/".join(parts.path.strip("/").split("/")[:2]).lower()
    labels = host.split(".")
    second = len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2
    keep = 3 if len(labels) >= 3 and (second or ".".join(labels[-2:]) in _SHARED_HOSTS) else 2
    return ".".join(labels[-keep:])


def split_of(source: str) -> str:
    """``train``, ``dev`` or ``test`` for a source (see :data:`SPLIT_RULE`)."""
    bucket = int(hashlib.blake2b(source.encode(), digest_size=8).hexdigest(), 16) % 100
    return "train" if bucket < 60 else "dev" if bucket < 80 else "test"


def files(folder: Path | None = None) -> list[Path]:
    """The corpus' JSON Lines files, sorted (empty when the folder is absent)."""
    folder = folder or corpus_dir()
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def file_hashes(folder: Path | None = None) -> dict[str, str]:
    """SHA-256 of every corpus file, by name: the corpus version a model was trained on."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files(folder)}


def load(path: Path | str | None = None, split: str | None = None) -> list[Item]:
    """Items of one JSONL file, or of the whole corpus; only those of ``split`` when given."""
    paths = [Path(path)] if path is not None else files()
    return [item for p in paths for item in _read(p) if split is None or item.split == split]


def _read(path: Path) -> Iterator[Item]:
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                raw = json.loads(line)
                yield Item(
                    id=str(raw.get("id", "")),
                    label=str(raw.get("label", "none")),
                    text=str(raw.get("text", "")),
                    notice=str(raw.get("notice") or ""),
                    referenced_title=str(raw.get("referenced_title") or ""),
                    language=str(raw.get("language") or ""),
                    source_url=str(raw.get("source_url") or ""),
                    note=str(raw.get("note") or ""),
                )


def feed_bodies(split: str | None = None, *, min_chars: int = 400) -> list[tuple[str, str]]:
    """``(name, body)`` of real article bodies from ``corpus/real-feeds`` (paragraphs split by a blank line).

    Feeds are split like notice sources (by file name), so a model trained on one split's bodies is
    measured on another's. Used to place notices inside real article text, and as real negatives.
    """
    import feedparser
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    folder = corpus_dir().parent / "real-feeds"
    out: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.xml")) if folder.is_dir() else []:
        if split is not None and split_of(path.stem) != split:
            continue
        parsed = feedparser.parse(path.read_bytes())
        for n, entry in enumerate(parsed.entries):
            html = next((c.get("value", "") for c in entry.get("content", []) if c.get("value")), "")
            html = html or str(entry.get("summary") or "")
            tree = HTMLParser(html)
            paragraphs = [" ".join(node.text(separator=" ").split()) for node in tree.css("p, li, h2, h3, blockquote")]
            paragraphs = [p for p in paragraphs if p]
            if not paragraphs and tree.body is not None:
                paragraphs = [" ".join(line.split()) for line in tree.body.text(separator="\n").split("\n")]
                paragraphs = [p for p in paragraphs if p]
            body = "\n\n".join(paragraphs)
            if len(body) >= min_chars and len(paragraphs) >= 3:
                out.append((f"{path.stem}#{n}", body))
    return out


PLACES = ("top", "bottom", "inline")


def place(notice: str, body: str, where: str) -> tuple[str, int, int]:
    """``body`` with ``notice`` put at its top, its bottom, or at the end of a middle paragraph.

    Returns the new text and the notice's span in it (how corpus notices are tested inside real articles).
    """
    notice = " ".join(notice.split())
    paragraphs = body.split("\n\n")
    if where == "top":
        return notice + "\n\n" + body, 0, len(notice)
    if where == "bottom":
        start = len(body) + 2
        return body + "\n\n" + notice, start, start + len(notice)
    middle = len(paragraphs) // 2
    before = "\n\n".join(paragraphs[: middle + 1])
    start = len(before) + 1
    rest = "\n\n".join(paragraphs[middle + 1 :])
    text = before + " " + notice + ("\n\n" + rest if rest else "")
    return text, start, start + len(notice)


def placement(item_id: str, bodies: list[tuple[str, str]]) -> tuple[str, str]:
    """A body and a place for an item, chosen by hash (the same every run)."""
    h = int(hashlib.blake2b(item_id.encode(), digest_size=8).hexdigest(), 16)
    return bodies[h % len(bodies)][1], PLACES[(h >> 20) % len(PLACES)]


def version_bodies(split: str | None = None) -> list[tuple[str, str]]:
    """``(article id, body)`` of the last captured version of each article in ``corpus/article-versions``,
    split by publisher like the other sources (many languages: real negatives beyond English)."""
    path = corpus_dir().parent / "article-versions" / "versions.jsonl"
    bodies: dict[str, str] = {}
    if path.is_file():
        with path.open(encoding="utf-8") as stream:
            for line in stream:
                raw = json.loads(line) if line.strip() else {}
                body = str(raw.get("body_text") or "")
                key = str(raw.get("publisher") or raw.get("url") or "")
                if body and (split is None or split_of("versions:" + key) == split):
                    bodies[str(raw.get("article_id"))] = body
    return sorted(bodies.items())
