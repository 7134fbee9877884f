"""Fixtures of the archive and web tests: a real PostgreSQL, both backends, headless Chromium.

PostgreSQL: NEWSSTREAM_TEST_PG_DSN when set (a server you run), else a throwaway cluster started
here with Debian's initdb/pg_ctl under a temp dir, on loopback (as the ``postgres`` user when run as
root: PostgreSQL refuses to run as root). Missing parts skip with a reason, and fail when CI=1.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CI = os.environ.get("CI", "") not in ("", "0", "false")


def missing(reason: str) -> None:
    """Skip with ``reason`` here; in CI, fail: the CI installs everything these tests need."""
    if CI:
        pytest.fail(f"{reason} (CI=1: .ci/run should have installed it)")
    pytest.skip(reason)


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A DSN of a PostgreSQL server's ``postgres`` database (superuser), for creating test databases."""
    if os.environ.get("NEWSSTREAM_TEST_PG_DSN"):
        yield os.environ["NEWSSTREAM_TEST_PG_DSN"]
        return
    bindir = _pg_bindir()
    if bindir is None:
        missing("PostgreSQL's initdb not found (apt-get install postgresql, or set NEWSSTREAM_TEST_PG_DSN)")
        return
    root = Path(tempfile.mkdtemp(prefix="newsstream-pg-"))
    data = root / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:
        prefix = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=50"
    for step in (
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8",
         "--locale=C.UTF-8"],
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "pg.log"), "-w", "-t", "60",
         "start"],
    ):  # fmt: skip
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = (root / "pg.log").read_text(errors="replace")[-2000:] if (root / "pg.log").exists() else ""
            pytest.fail(f"{Path(step[len(prefix)]).name} failed ({done.returncode}): {done.stderr[-2000:]}\n{log}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server; dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty archive of each backend, as the NEWSSTREAM_ARCHIVE_DSN that names it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    return str(request.getfixturevalue("pg_dsn"))


CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1600",
)  # fmt: skip


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Debian chromium driven by Selenium through Debian's chromium-driver."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        missing("chromium and chromium-driver are needed (apt-get install chromium chromium-driver)")
        return
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def artefacts() -> Callable[[str], Path]:
    """Where tests write artefacts (screenshots): NEWSSTREAM_ARTEFACTS or .cache/test-artefacts/."""
    default = Path(__file__).resolve().parents[2] / ".cache" / "test-artefacts"
    base = Path(os.environ.get("NEWSSTREAM_ARTEFACTS", default))

    def path(name: str) -> Path:
        base.mkdir(parents=True, exist_ok=True)
        return base / name

    return path


class WebServer:
    """``newsstream web`` as a process over one archive."""

    def __init__(self, dsn: str, log: Path) -> None:
        import sys
        import urllib.request

        from tests.integration.helpers import wait_http

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "NEWSSTREAM_ARCHIVE_DSN": dsn, "NEWSSTREAM_LOG_FORMAT": "console"}
        out = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newsstream.cli", "web", "--port", str(self.port)], env=env, stdout=out, stderr=out
        )
        self._urlopen = urllib.request.urlopen
        wait_http(self.url + "/readyz", timeout_s=60)

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        import urllib.error

        try:
            with self._urlopen(self.url + path, timeout=10) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers.items()), err.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[Callable[[str], WebServer]]:
    """Factory: start ``newsstream web`` over the archive at a DSN; stopped after the test."""
    started: list[WebServer] = []

    def start(dsn: str) -> WebServer:
        server = WebServer(dsn, tmp_path / f"web-{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
