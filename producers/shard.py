"""``newsstream produce --shard I/N``: which feeds one producer process of N polls."""

from __future__ import annotations

from collections.abc import Sequence

from producers.feeds import FeedConfig


def select_shard(feeds: Sequence[FeedConfig], shard: tuple[int, int] | None) -> list[FeedConfig]:
    """The feeds of shard ``I/N`` (stable sha1 of the URL), or all of them."""
    if shard is None:
        return list(feeds)
    index, count = shard
    return [f for f in feeds if f.shard(count) == index]


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` with 0 <= I < N."""
    try:
        left, right = text.split("/")
        index, count = int(left), int(right)
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected I/N, e.g. 0/3") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"--shard {text!r}: need 0 <= I < N")
    return index, count
