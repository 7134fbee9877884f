"""``newsstream feeds add URL`` and ``newsstream feeds export-opml`` (registered by ``feeds.py``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from newsstream import exit_codes
from newsstream.cli._common import load_config
from newsstream.errors import ConfigError

ADD_DESCRIPTION = """\
Fetch URL through the producer's fetcher (the SSRF guard applies: NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES
or NEWSSTREAM_ALLOWED_NETWORKS for feeds on your own network). A feed (RSS, Atom, RDF, JSON Feed,
recognised by its content) is added as it is; an HTML page is searched for
<link rel="alternate" type="application/rss+xml|atom+xml|feed+json" href="..."> and every linked feed
that parses is added. Each entry gets its name (the feed's title), publisher (the page's
og:site_name, else the site's host) and language (the feed's, else the page's) filled in, and the
right type. Feeds already in the list are skipped; the file is rewritten atomically and only if the
result still validates. Exit status: 0 every feed found was added (or already there), 3 some links
did not lead to a feed, 4 no feed found.
"""

ADD_EPILOG = """\
examples:
  newsstream feeds add https://www.example.org/                 a site's home page
  newsstream feeds add https://www.example.org/rss.xml --name "Example" --publisher "Example News"
  newsstream feeds add https://www.example.org/ --dry-run       print the entries, change nothing
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = sub.add_parser(
        "add",
        help="add a feed, or every feed a web page links to, with name, publisher and language filled in",
        description=ADD_DESCRIPTION,
        epilog=ADD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("url", metavar="URL", help="a feed or a web page (http or https)")
    add.add_argument("--feeds", type=Path, metavar="FILE", help="feed list (default NEWSSTREAM_FEEDS, feeds.toml)")
    add.add_argument("--name", help="name of the feed (default: its title); only with a single feed")
    add.add_argument("--publisher", help="publisher (default: the page's og:site_name, else the host)")
    add.add_argument("--dry-run", action="store_true", help="print the entries instead of writing them")
    add.set_defaults(handler=_add)

    export = sub.add_parser(
        "export-opml",
        help="print the feed list as OPML 2.0 (tags become folders)",
        description="Write the feed list as OPML 2.0 on stdout (or --output): one outline per feed with "
        "xmlUrl, title, type (rss or json), language and publisher; tags become nested folders, so "
        "`feeds import-opml` reads it back into the same list.",
    )
    export.add_argument("--feeds", type=Path, metavar="FILE", help="feed list (default NEWSSTREAM_FEEDS, feeds.toml)")
    export.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=_export)


def _feeds_path(args: argparse.Namespace, config: Any) -> Path:
    return Path(args.feeds) if args.feeds else Path(config.feeds_file)


async def _discover(url: str, config: Any) -> tuple[list[Any], Any]:
    from producers.base import Registry
    from producers.discover import discover
    from producers.fetch import Fetcher, FetchSettings

    async with Fetcher(FetchSettings.from_config(config)) as fetcher:
        return await discover(url, fetcher, Registry())


def _add(args: argparse.Namespace) -> int:
    from newsstream.cli.feeds import append_feeds
    from producers.discover import feed_config
    from producers.feeds import feed_to_toml, load_feeds

    if not args.url.startswith(("http://", "https://")):
        raise ConfigError(f"{args.url!r}: expected an http(s) URL")
    config = load_config(args)
    output = _feeds_path(args, config)
    found, page = asyncio.run(_discover(args.url, config))
    good = [f for f in found if f.error is None]
    for failed in (f for f in found if f.error is not None):
        print(f"not a feed: {failed.url}: {failed.error}", file=sys.stderr)
    if page is not None and not page.feeds:
        print(f'{args.url}: an HTML page that links to no feed (no <link rel="alternate">)', file=sys.stderr)
    if not good:
        return exit_codes.NOTHING_PROCESSED
    if args.name and len(good) > 1:
        raise ConfigError(f"--name given but {len(good)} feeds were found; add them one URL at a time")
    existing = {f.url for f in load_feeds(output)} if output.exists() else set()
    entries = [feed_config(f, page, args.name, args.publisher) for f in good]
    new = [e for e in entries if e.url not in existing]
    for entry, f in zip(entries, good, strict=True):
        state = "already in the list" if entry.url in existing else "would add" if args.dry_run else "adding"
        print(f"{state}: {entry.name!r} ({entry.type}, {f.entries} entries now) {entry.url}", file=sys.stderr)
    text = "\n".join(feed_to_toml(e) for e in new)
    if args.dry_run:
        sys.stdout.write(text)
    elif new:
        append_feeds(output, text, f"added by `newsstream feeds add {args.url}`")
        print(f"added {len(new)} feeds to {output}", file=sys.stderr)
    return exit_codes.for_counts(len(good), len(found) - len(good))


def _export(args: argparse.Namespace) -> int:
    from producers.feeds import load_feeds
    from producers.opml_export import to_opml

    config = load_config(args)
    path = _feeds_path(args, config)
    document = to_opml(load_feeds(path), title=f"newsstream feeds ({path.name})")
    if args.output:
        Path(args.output).write_bytes(document)
    else:
        sys.stdout.buffer.write(document)
    return exit_codes.OK
