"""The pages stage's network side: an asyncio loop in a background thread, owning the Fetcher and
the robots.txt cache, running revisits the stage submits from the runner's thread.

The shared runner is a blocking loop (poll, process, tick, commit); page fetches are many slow
concurrent HTTP requests. Keeping them on their own event loop lets a tick start revisits and pick
up finished ones without ever waiting for the network inside a transaction.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable

from producers.fetch import Fetcher, FetchSettings
from producers.pages.robots import RobotsCache
from producers.pages.worker import RevisitRequest, RevisitResult, revisit

#: How long start() waits for the loop thread to open its HTTP client.
START_TIMEOUT_S = 30.0


class FetchLoop:
    """``submit(request)`` → a Future of its RevisitResult; ``stop()`` closes the HTTP client."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        robots: bool,
        robots_agent: str,
        robots_ttl_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._robots_options = (robots, robots_agent, robots_ttl_s)
        self.robots: RobotsCache | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._fetcher: Fetcher | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pages-fetch", daemon=True)

    def start(self) -> FetchLoop:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None:
            raise RuntimeError(f"the pages fetch loop did not start: {self._error!r}")
        return self

    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, request: RevisitRequest) -> concurrent.futures.Future[RevisitResult]:
        if self._loop is None or self._fetcher is None:
            raise RuntimeError("FetchLoop.submit() before start()")
        coro = revisit(request, self._fetcher, self.robots, clock=self.clock)
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported through start() / alive()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        robots, agent, ttl = self._robots_options
        async with Fetcher(self.settings) as fetcher:
            self._fetcher = fetcher
            if robots:
                self.robots = RobotsCache(fetcher, agent, ttl_s=ttl, clock=self.clock)
            self._ready.set()
            await self._stop.wait()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
