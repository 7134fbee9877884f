"""The aiohttp application: HTML pages, exports, the Atom feed, the JSON API, health and metrics.

Everything shown came from feeds and is hostile: templates autoescape, the page shows text only
(never feed HTML, so no remote images), and every response carries a Content-Security-Policy that
allows nothing remote: scripts, styles and connections from this origin only. The database is
read in a small thread pool so a slow query never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import orjson
from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from consumers.archive.sqlite_store import SNIPPET_CLOSE, SNIPPET_OPEN
from consumers.archive.store import EVENT_TYPES, ArchiveStore, EventFilter
from newsstream.log import fields
from web import exports, views

log = logging.getLogger(__name__)
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PAGE = 50
STORE: web.AppKey[ArchiveStore] = web.AppKey("store", ArchiveStore)
POOL: web.AppKey[ThreadPoolExecutor] = web.AppKey("pool", ThreadPoolExecutor)
ENV: web.AppKey[Environment] = web.AppKey("env", Environment)
FACETS: web.AppKey[list[Any]] = web.AppKey("facets", list)
FACETS_TTL = 30.0
METRICS: web.AppKey[tuple[CollectorRegistry, Counter, Histogram]] = web.AppKey("metrics", tuple)


def _marks(text: Any) -> Markup:
    """Escape ``text``, then turn the search markers into <mark> (the only markup we add)."""
    return Markup(str(escape(text or "")).replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>"))  # noqa: S704 - escaped first


def environment() -> Environment:
    env = Environment(loader=PackageLoader("web", "templates"), autoescape=select_autoescape(default=True))
    env.filters["marks"] = _marks
    env.filters["xml"] = exports.xml_text
    env.filters["qs"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
    env.filters["path"] = lambda value: quote(str(value), safe="")
    env.globals["EVENT_TYPES"] = EVENT_TYPES
    return env


async def _db(request: web.Request, fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(request.app[POOL], fn, *args)


def _html(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    body = request.app[ENV].get_template(template).render(**context)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data, default=str), status=status, content_type="application/json")


@web.middleware
async def _guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Security headers on every response, 400 for bad parameters, request metrics by route."""
    started = time.perf_counter()
    route = request.match_info.route.name or "other"
    _, requests, latency = request.app[METRICS]
    try:
        response = await handler(request)
    except views.BadRequest as exc:
        response = (
            _json({"error": str(exc)}, 400)
            if request.path.startswith("/api/")
            else _html(request, "error.html", 400, message=str(exc))
        )
    except web.HTTPException as exc:
        response = exc
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    requests.labels(route, str(response.status)).inc()
    latency.labels(route).observe(time.perf_counter() - started)
    if isinstance(response, web.HTTPException) and response.status >= 400:
        raise response
    return response


async def _facets(request: web.Request) -> dict[str, list[str]]:
    """Publishers and languages for the filter form, recomputed at most every FACETS_TTL seconds
    (two DISTINCT scans of the events table cost ~20 ms at 20,000 events; they change rarely)."""
    cached = request.app[FACETS]
    if not cached or time.monotonic() - cached[0] > FACETS_TTL:
        cached[:] = [time.monotonic(), await _db(request, request.app[STORE].facets)]
    return dict(cached[1])


async def index(request: web.Request) -> web.Response:
    flt = views.event_filter(request.query)
    before = views.int_param(request.query, "before")
    store = request.app[STORE]
    events = await _db(request, store.events, flt, PAGE, before)
    facets = await _facets(request)
    return _html(
        request, "events.html", events=[views.event_json(e) for e in events], filter=views.filter_query(flt),
        facets=facets, before=before, older=events[-1]["seq"] if len(events) == PAGE else None,
        newest=events[0]["seq"] if events else (before or 0),
    )  # fmt: skip


async def article(request: web.Request) -> web.Response:
    page = await _db(request, views.article_page, request.app[STORE], request.match_info["id"], request.query)
    if page is None:
        return _html(request, "error.html", 404, message="No such article in the archive.")
    return _html(request, "article.html", **page)


async def search(request: web.Request) -> web.Response:
    text = (request.query.get("q") or "").strip()[:200]
    results = await _db(request, request.app[STORE].search, text, PAGE) if text else {"versions": [], "notices": []}
    return _html(request, "search.html", q=text, versions=results["versions"], notices=results["notices"])


Render = Callable[[list[dict[str, Any]], bool], bytes]


async def _export(request: web.Request, content_type: str, render: Render) -> web.StreamResponse:
    flt = views.event_filter(request.query)
    name = "corrections." + ("csv" if "csv" in content_type else "jsonl")
    response = web.StreamResponse(headers={**SECURITY_HEADERS, "Content-Type": content_type,
                                           "Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    await response.prepare(request)
    before: int | None = None
    first = True
    while True:  # page by page: bounded memory for any archive size
        rows = await _db(request, request.app[STORE].events, flt, 1000, before)
        await response.write(render(rows, first))
        first = False
        if len(rows) < 1000:
            break
        before = int(rows[-1]["seq"])
    await response.write_eof()
    return response


async def export_csv(request: web.Request) -> web.StreamResponse:
    return await _export(request, "text/csv; charset=utf-8", exports.csv_rows)


async def export_jsonl(request: web.Request) -> web.StreamResponse:
    return await _export(request, "application/x-ndjson", lambda rows, _: exports.jsonl_rows(rows))


async def atom(request: web.Request) -> web.Response:
    flt = views.event_filter(request.query)
    events = await _db(request, request.app[STORE].events, flt, 100)
    origin = str(request.url.origin())
    updated = events[0]["detected_at"] if events else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = request.app[ENV].get_template("corrections.atom.xml").render(
        events=events, origin=origin, filter=views.filter_query(flt), updated=updated,
        self_url=str(request.url), summary=exports.entry_summary,
    )  # fmt: skip
    return web.Response(text=body, content_type="application/atom+xml", charset="utf-8")


async def api_events(request: web.Request) -> web.Response:
    flt = views.event_filter(request.query)
    limit = views.int_param(request.query, "limit", PAGE, 1, 500) or PAGE
    before, after = views.int_param(request.query, "before"), views.int_param(request.query, "after")
    rows = await _db(request, request.app[STORE].events, flt, limit, before, after)
    return _json({"events": [views.event_json(r) for r in rows],
                  "next_before": rows[-1]["seq"] if len(rows) == limit else None})  # fmt: skip


async def api_article(request: web.Request) -> web.Response:
    page = await _db(request, views.article_page, request.app[STORE], request.match_info["id"], request.query)
    if page is None:
        return _json({"error": "no such article"}, 404)
    return _json(views.article_json(page))


async def api_diff(request: web.Request) -> web.Response:
    page = await _db(request, views.article_page, request.app[STORE], request.match_info["id"], request.query)
    if page is None:
        return _json({"error": "no such article"}, 404)
    return _json(page["diff"])


async def api_search(request: web.Request) -> web.Response:
    text = (request.query.get("q") or "").strip()[:200]
    if not text:
        raise views.BadRequest("q is required")
    found = await _db(request, request.app[STORE].search, text, PAGE)
    strip = str.maketrans("", "", SNIPPET_OPEN + SNIPPET_CLOSE)
    for rows in found.values():
        for row in rows:
            row["snippet"] = str(row.get("snippet") or "").translate(strip)
    return _json({"versions": found["versions"], "notices": [views.event_json(n) | {"snippet": n["snippet"]}
                                                             for n in found["notices"]]})  # fmt: skip


async def api_stats(request: web.Request) -> web.Response:
    return _json(await _db(request, request.app[STORE].counts))


async def api_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: each new event matching the filter, as it reaches the archive (1 s polling)."""
    flt = views.event_filter(request.query)
    after = views.int_param(request.query, "after", 0) or 0
    response = web.StreamResponse(headers={**SECURITY_HEADERS, "Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})  # fmt: skip
    await response.prepare(request)
    idle = 0
    try:
        while True:
            rows = await _db(request, request.app[STORE].events, flt, 100, None, after)
            for row in reversed(rows):  # oldest first
                after = max(after, int(row["seq"]))
                await response.write(
                    b"id: %d\nevent: event\ndata: " % after + orjson.dumps(views.event_json(row)) + b"\n\n"
                )
            idle = 0 if rows else idle + 1
            if idle >= 15:
                await response.write(b": keep-alive\n\n")
                idle = 0
            await asyncio.sleep(1.0)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def metrics(request: web.Request) -> web.Response:
    registry = request.app[METRICS][0]
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    try:
        await _db(request, request.app[STORE].counts)
    except Exception as exc:  # noqa: BLE001 - not ready is an answer, not a crash
        return web.Response(text=f"not ready: {type(exc).__name__}\n", status=503)
    return web.Response(text="ready\n")


def make_app(store: ArchiveStore, registry: CollectorRegistry | None = None) -> web.Application:
    """The web application over ``store`` (which it closes on shutdown)."""
    registry = registry or CollectorRegistry()
    app = web.Application(middlewares=[_guard])
    app[STORE] = store
    app[POOL] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="archive-read")
    app[ENV] = environment()
    app[FACETS] = []
    app[METRICS] = (
        registry,
        Counter("newsstream_web_requests", "Web requests by route and status", ["route", "status"], registry=registry),
        Histogram("newsstream_web_request_seconds", "Web request latency by route", ["route"], registry=registry),
    )
    add = app.router.add_get
    add("/", index, name="index")
    add("/article/{id}", article, name="article")
    add("/search", search, name="search")
    add("/export.csv", export_csv, name="export_csv")
    add("/export.jsonl", export_jsonl, name="export_jsonl")
    add("/feeds/corrections.atom", atom, name="atom")
    add("/api/events", api_events, name="api_events")
    add("/api/events/stream", api_stream, name="api_stream")
    add("/api/articles/{id}", api_article, name="api_article")
    add("/api/articles/{id}/diff", api_diff, name="api_diff")
    add("/api/search", api_search, name="api_search")
    add("/api/stats", api_stats, name="api_stats")
    add("/metrics", metrics, name="metrics")
    add("/healthz", healthz, name="healthz")
    add("/readyz", readyz, name="readyz")
    app.router.add_static("/static/", STATIC, name="static")

    async def close(app: web.Application) -> None:
        app[POOL].shutdown(wait=False, cancel_futures=True)
        store.close()

    app.on_cleanup.append(close)
    return app


def run_web(store: ArchiveStore, host: str, port: int) -> int:
    """Serve until SIGINT/SIGTERM; return the exit code."""
    log.info("serving the archive", extra=fields(url=f"http://{host}:{port}/"))
    print(f"archive web page: http://{host}:{port}/", flush=True)
    web.run_app(make_app(store), host=host, port=port, print=None, access_log=None, shutdown_timeout=5)
    return 0


__all__ = ["CSP", "EventFilter", "make_app", "run_web"]
