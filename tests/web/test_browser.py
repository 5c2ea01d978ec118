"""The UI in a real browser: Debian's chromium, headless, driven by Playwright, against uvicorn on
127.0.0.1. Screenshots are kept under tmp/artifacts/web/ (override with SPREAD_EAGLE_ARTIFACTS).

Playwright never downloads a browser here: it launches /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from spread_eagle.config import Settings
from tests.web.conftest import (
    EVIL_DAY,
    EVIL_TEAM,
    EVIL_TLDR,
    LiveServer,
    copy_duckdb,
    duckdb_only,
    publish_evil_copy,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("SPREAD_EAGLE_ARTIFACTS", "tmp/artifacts")) / "web"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def site(published: Settings, tmp_path: Path) -> Iterator[str]:
    """The served UI over a copy of the warehouse that also has a slate of hostile text."""
    settings = copy_duckdb(published, tmp_path)
    publish_evil_copy(settings)
    with LiveServer(settings) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", record)
    opened.dialogs = dialogs  # type: ignore[attr-defined]
    yield opened
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@duckdb_only
def test_slate_game_and_date_picker_in_chromium(site: str, page: Page) -> None:
    page.goto(f"{site}/slates/2024-11-24")
    cards = page.locator("article.game")
    expect(cards).to_have_count(11)
    for n in range(11):
        card = cards.nth(n)
        expect(card.locator("dd.line")).not_to_be_empty()  # the line
        expect(card.locator(".model")).to_have_count(2)  # one block per configured model
        expect(card.locator(".model").first).to_contain_text("total")  # the model's numbers
        assert len(card.locator(".tldr").inner_text()) > 40  # the TL;DR
        expect(card.locator("svg.spark")).to_be_visible()
    expect(page.locator("footer")).to_contain_text("1-800-GAMBLER")
    shot(page, "slate-2024-11-24")

    page.locator('[data-game-id="2024_12_KC_CAR"] a.matchup').click()
    page.wait_for_url("**/games/2024_12_KC_CAR**")
    expect(page.locator("h1")).to_contain_text("KC")
    expect(page.locator("#line-history svg.chart").first).to_be_visible()
    shot(page, "game-2024_12_KC_CAR")

    page.goto(f"{site}/slates/2024-11-24")
    page.fill("input[type=date]", "2024-11-25")
    page.click("form button[type=submit]")
    page.wait_for_url("**/slates/2024-11-25**")
    expect(page.locator("h1")).to_contain_text("November 25, 2024")
    expect(page.locator("article.game")).to_have_count(1)
    page.click("a[rel=prev]")
    page.wait_for_url("**/slates/2024-11-24**")
    expect(page.locator("article.game")).to_have_count(11)
    shot(page, "picker-back-to-2024-11-24")
    assert page.dialogs == []  # type: ignore[attr-defined]


@duckdb_only
def test_hostile_text_runs_no_script_in_chromium(site: str, page: Page) -> None:
    page.goto(f"{site}/slates/{EVIL_DAY}")
    first = page.locator("article.game").first
    expect(first.locator(".tldr")).to_have_text(EVIL_TLDR)  # shown as text
    expect(first.locator("h2")).to_contain_text(EVIL_TEAM)
    assert page.locator("article img, article script, article b").count() == 0
    page.goto(f"{site}/games/evil_2024_12_KC_CAR")
    expect(page.locator("h1")).to_contain_text(EVIL_TEAM)
    page.wait_for_timeout(300)  # give any injected handler the chance to fire
    shot(page, "hostile-text")
    assert page.dialogs == []  # type: ignore[attr-defined]
