"""A real headless Chromium (Debian's package, driven by Playwright) for the pages we ship."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
# No background traffic: this machine reaches no outside hosts, and a page that needs the
# network must fail the test rather than wait for it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = (
        "Debian's chromium is not installed (scripts/test.sh installs it: apt-get install chromium)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium_page(
    width: int = 1200, height: int = 1400, login: tuple[str, str] | None = None
) -> Iterator[Any]:
    """A page in a fresh headless browser (with an HTTP Basic login if given); the browser
    closes afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            credentials = {"username": login[0], "password": login[1]} if login else None
            context = browser.new_context(
                viewport={"width": width, "height": height}, http_credentials=credentials
            )
            yield context.new_page()
        finally:
            browser.close()


def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    """Kept under test-output/ so that CI keeps it as an artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path
