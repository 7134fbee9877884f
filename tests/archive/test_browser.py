"""The web page in a real browser (headless Debian chromium via Selenium), end to end.

The demo's articles and events (made by the pipeline's pure stages) go to uuid topics on the real
broker; ``newsstream archive`` writes them to SQLite; ``newsstream web`` serves it. Chromium
filters to corrections, opens the seed article, sees the CORRECTION notice highlighted and the link
to the article it corrects, opens a headline change and sees the old words struck and the new ones
marked, and watches a hostile article arrive live and render as text. Screenshots are artefacts.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consumers.archive.store import open_store
from tests.archive.conftest import WebServer, free_port
from tests.archive.pipeline_data import demo, distinct_versions, events
from tests.archive.test_archive_stage import Topics, create, produce, start
from tests.archive.test_web import EARLIER, HOSTILE_TITLE, SEED, hostile

pytestmark = pytest.mark.integration


def wait_rows(dsn: str, versions: int, events: int, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        store = open_store(dsn, readonly=True)
        try:
            counts = store.counts()
        except Exception:  # noqa: BLE001 - the archive has not migrated yet
            counts = {}
        finally:
            store.close()
        if counts.get("versions") == versions and counts.get("events") == events:
            return
        time.sleep(0.2)
    raise AssertionError(f"archive did not reach {versions} versions / {events} events: {counts}")


def test_demo_archive_in_chromium(
    kafka_bootstrap: str,
    tmp_path: Path,
    browser: Any,
    web_server: Callable[[str], WebServer],
    artefacts: Callable[[str], Path],
) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    topics = Topics()
    create(kafka_bootstrap, topics)
    dsn = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    archive = start(kafka_bootstrap, topics, dsn, tmp_path / "state", free_port(), tmp_path / "archive.log")
    try:
        messages = demo()
        produce(kafka_bootstrap, topics, messages, b"{}")
        wait_rows(dsn, versions=distinct_versions(messages), events=len(events(messages)))
        server = web_server(dsn)
        wait = WebDriverWait(browser, 30)

        # The latest events, filtered to corrections with the form.
        browser.get(server.url + "/")
        Select(browser.find_element(By.NAME, "type")).select_by_value("correction")
        browser.find_element(By.ID, "apply").click()
        wait.until(ec.url_contains("type=correction"))
        badges = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#events .badge")]
        assert badges and set(badges) == {"correction"}, badges

        # The seed article: the notice highlighted at its place, the corrected article linked.
        browser.find_element(By.LINK_TEXT, SEED).click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "mark.notice")))
        assert browser.find_element(By.ID, "title").text == SEED
        notice = browser.find_element(By.CSS_SELECTOR, "mark.notice.t-correction")
        assert notice.text.startswith("CORRECTION: This corrects a previous piece titled")
        assert notice.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
        link = browser.find_element(By.CSS_SELECTOR, "a.ref-link")
        assert link.text == EARLIER
        browser.save_screenshot(str(artefacts("archive-seed-article.png")))
        link.click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "title"), EARLIER))
        assert SEED in browser.find_element(By.CSS_SELECTOR, ".backlinks").text  # "corrected by"

        # A headline change: the old words struck, the new ones marked.
        browser.get(server.url + "/?type=headline_change")
        browser.find_element(By.CSS_SELECTOR, "#events a.title").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#diff .diff-title del")))
        deleted = " ".join(d.text for d in browser.find_elements(By.CSS_SELECTOR, "#diff .diff-title del"))
        inserted = " ".join(i.text for i in browser.find_elements(By.CSS_SELECTOR, "#diff .diff-title ins"))
        old_title = browser.find_elements(By.CSS_SELECTOR, ".timeline .vtitle")[0].text
        new_title = browser.find_element(By.ID, "title").text
        assert deleted and all(word in old_title for word in deleted.split()), (deleted, old_title)
        assert inserted and all(word in new_title for word in inserted.split()), (inserted, new_title)
        del_style = browser.find_element(By.CSS_SELECTOR, "#diff .diff-title del").value_of_css_property(
            "text-decoration-line"
        )
        assert "line-through" in del_style
        browser.save_screenshot(str(artefacts("archive-headline-diff.png")))

        # Live arrival: a hostile article reaches the archive while the page is open.
        browser.get(server.url + "/")
        wait.until(ec.visibility_of_element_located((By.ID, "live")))
        produce(kafka_bootstrap, topics, hostile(), b"{}")
        wait.until(ec.text_to_be_present_in_element((By.ID, "events"), '<script>alert("title")</script>'))
        arrived = browser.find_element(By.CSS_SELECTOR, "#events tr.new a.title")
        assert arrived.text == HOSTILE_TITLE  # shown as the text it is
        assert len(browser.find_elements(By.CSS_SELECTOR, "script")) == 1  # only /static/live.js
        arrived.click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "title"), "<script>"))
        assert browser.find_elements(By.CSS_SELECTOR, "script") == []
        assert browser.find_elements(By.CSS_SELECTOR, "img") == []  # the feed's <img> is text, never loaded
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - raises when no script ran
        browser.save_screenshot(str(artefacts("archive-hostile-title.png")))
    finally:
        archive.send_signal(signal.SIGTERM)
        archive.wait(timeout=30)
