"""End to end in a real browser: Debian's Chromium, driven by Playwright, against a running
``riskkit serve`` on a trained, registered model. A case worker signs in, scores a person from
the form, reads the report and overrides the band; an auditor then finds both entries in the
score log and the override in the override rates. The sign-in page must also fit a phone."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.service_support import create_key, running_server, train_registered_model

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CASE_WORKER = "browser-case-worker"
AUDITOR = "browser-auditor"
REASON = "Stable job offer confirmed by the employer since the record was taken (browser test)."
#: Playwright's wait for each page action or navigation, in milliseconds.
WAIT_MS = 60_000


@dataclass
class Served:
    base: str
    folder: Path
    keys: dict[str, str]
    record: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on a small trained model, with a case worker's and an auditor's key."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's chromium package "
            "(apt-get install chromium); .ci/run installs it when it can"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    folder = tmp_path_factory.mktemp("browser")
    env = train_registered_model(folder)
    keys = {
        "case_worker": create_key(folder, env, "case_worker", CASE_WORKER),
        "auditor": create_key(folder, env, "auditor", AUDITOR),
    }
    with (folder / "cases.csv").open(encoding="utf-8", newline="") as handle:
        record = next(csv.DictReader(handle))
    with running_server(folder, env) as (base, _process):
        yield Served(base=base, folder=folder, keys=keys, record=record)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def _sign_in(page: Any, key: str) -> None:
    """Sign in, in English, on the sign-in form the page shows."""
    page.fill("#key", key)
    page.select_option("select#lang", "en")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _fill_case_form(page: Any, record: dict[str, str]) -> list[str]:
    """Fill every field of the form the record has a value for; the names filled."""
    filled = []
    for name, value in record.items():
        field = page.locator(f"#f-{name}")
        if field.count() == 0 or value == "":
            continue
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
        filled.append(name)
    return filled


def _table(page: Any) -> list[list[str]]:
    """The text of each data row's cells in the page's table."""
    rows = page.locator("table tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_case_worker_scores_and_overrides_then_auditor_sees_it(
    served: Served, browser: Any
) -> None:
    from playwright.sync_api import expect

    base, record = served.base, served.record
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        # the home page sends a visitor to the sign-in form
        page.goto(f"{base}/")
        assert page.url == f"{base}/login"
        _sign_in(page, served.keys["case_worker"])
        assert page.url == f"{base}/cases/new"
        expect(page.locator("h1")).to_have_text("Score a person")

        # the form, filled from a synthetic record, is scored and its report shown
        filled = _fill_case_form(page, record)
        assert "person_id" in filled
        assert len(filled) >= 10, f"only {filled} of the record's fields are on the form"
        with page.expect_navigation():
            page.get_by_role("button", name="Score", exact=True).click()
        landed = re.fullmatch(rf"{re.escape(base)}/cases/(\d+)(\?lang=en)?", page.url)
        assert landed is not None, page.url
        entry_id = landed[1]
        body = page.locator("body")
        expect(page.locator("h1")).to_have_text("Risk assessment report")
        expect(body).to_contain_text(record["person_id"])
        for heading in ("Risk level", "Factors raising the risk", "How to contest it"):
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_role("heading", name="Record an override")).to_be_visible()
        page.screenshot(path=str(served.folder / "report.png"), full_page=True)

        # override the model's band with another one, giving a reason
        model_band = page.locator(".band strong").first.inner_text().strip()
        options = page.locator("#band option")
        choices = [
            (str(options.nth(i).get_attribute("value")), options.nth(i).inner_text().strip())
            for i in range(options.count())
        ]
        assert len(choices) >= 2, choices
        model_value = next((v for v, label in choices if label == model_band), None)
        assert model_value is not None, (model_band, choices)
        band, band_label = next((v, label) for v, label in choices if v != model_value)
        page.select_option("#band", band)
        page.fill("#reason", REASON)
        with page.expect_navigation():
            page.get_by_role("button", name="Record override").click()
        assert page.url.startswith(f"{base}/cases/{entry_id}?"), page.url
        expect(page.get_by_role("status")).to_have_text(f"Override recorded: band {band_label}.")
        expect(body).to_contain_text("The case worker changed the band")
        expect(body).to_contain_text(REASON)

        # the band in use (now the override) is preselected: changing it is a deliberate choice
        page.reload()
        expect(page.locator("#band")).to_have_value(band)
        # sign out from the report's own bar
        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        assert page.url == f"{base}/login"
        page.goto(f"{base}/cases/{entry_id}")
        assert page.url.startswith(f"{base}/login"), "signed out, a report must ask to sign in"
        expect(body).not_to_contain_text(record["person_id"])

        # the auditor finds the score and the override in the log
        page.goto(f"{base}/login")
        _sign_in(page, served.keys["auditor"])
        page.goto(f"{base}/log")
        expect(page.locator("h1")).to_have_text("Score log")
        entries = _table(page)
        overrides = [row for row in entries if REASON in row]
        assert len(overrides) == 1, entries
        _, _, user, role, kind, _, _, _, final_band, _ = overrides[0]
        assert (user, role, kind, final_band) == (CASE_WORKER, "case_worker", "override", band)
        scores = [row for row in entries if row and row[0] == entry_id]
        assert len(scores) == 1, entries
        _, _, user, role, kind, _, _, logged_band, final_band, reason = scores[0]
        assert (user, role, kind, logged_band) == (CASE_WORKER, "case_worker", "score", model_value)
        assert reason == ""

        # and in the override rates: by the model's band and by the person's recorded group
        page.goto(f"{base}/log/overrides")
        expect(page.locator("h1")).to_have_text("Override rates by group")
        rates = _table(page)
        firsts = [row[:5] for row in rates]  # then: moved to a higher band, flag
        assert any(len(row) == 7 and row[3] == "1" for row in rates), rates
        assert ["band", model_value, "1", "1", "100.0 %"] in firsts, rates
        assert ["case_worker", CASE_WORKER, "1", "1", "100.0 %"] in firsts, rates
        if "sex" in filled:
            assert ["sex", record["sex"], "1", "1", "100.0 %"] in firsts, rates
    finally:
        context.close()


def test_login_page_fits_a_phone(served: Served, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{served.base}/")
        assert page.url == f"{served.base}/login"
        assert page.locator("#key").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the sign-in page scrolls sideways on a phone ({width} px wide)"
    finally:
        context.close()


def test_score_form_fits_a_phone(served: Served, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{served.base}/login")
        _sign_in(page, served.keys["case_worker"])
        assert page.url == f"{served.base}/cases/new"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the score form scrolls sideways on a phone ({width} px wide)"
    finally:
        context.close()
