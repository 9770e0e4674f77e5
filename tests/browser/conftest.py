"""Fixtures the browser tests share: one Playwright driver and one headless Chromium per
test module, and a fresh desktop page of the launched app (``app_url``) per test.

A module whose tests start their own driver (``with sync_playwright()``) must not use these:
sync Playwright does not nest.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import DESKTOP, launch_chromium, open_app


@pytest.fixture(scope="module")
def playwright():
    """Playwright's sync driver, one per module (sync Playwright does not nest)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright):
    """Headless Chromium, shared by the module's tests."""
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser, app_url):
    """The loaded app at desktop size in a context of its own, closed after the test."""
    page = open_app(browser, app_url, DESKTOP)
    yield page
    page.context.close()
