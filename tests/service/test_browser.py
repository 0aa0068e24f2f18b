"""The pages in a real browser: Debian's Chromium, driven by Playwright, against
``sovfund serve`` started on a free loopback port.

An LP logs in and reads its statement; a GP admin previews and books a call (and a
distribution, tier by tier), and the LP then sees its notice and downloads it; an
analyst runs a 2,000-path simulation in the explorer and its charts appear. Each page
is saved as a screenshot under ``out/screenshots/`` (with
``SOVFUND_README_SCREENSHOTS=1``, the LP page and the GP console also go to docs/ for
the README). Playwright downloads no browser: it launches /usr/bin/chromium (``make
test`` installs it), headless, in a fresh profile.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

import sovfund.books
from sovfund.books.store import connect
from sovfund.service.reader import prepare_books
from sovfund.service.users import Users

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"
DOCS = ROOT / "docs"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PARTNERS = [
    "id,name,class,country,currency,commitment",
    "retail_feeder,US retail feeder,retail,US,USD,500000000",
    "jp_pension,Japanese pension fund,institutional,JP,JPY,75000000000",
    *(f"retail_{i:03d},Retail investor {i:03d},retail,US,USD,250000" for i in range(120)),
]


def chromium() -> str:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no chromium: `make test` installs Debian's (apt-get install chromium)")


@dataclass(frozen=True)
class Server:
    url: str
    keys: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _books(folder: Path) -> tuple[Path, dict[str, str]]:
    """son-2025's books, a quarter in: 128 LPs, the first call paid, an icebreaker, the
    first quarter's fees."""
    path = folder / "fund.db"
    csv = folder / "partners.csv"
    csv.write_text("\n".join(PARTNERS) + "\n", encoding="utf-8")
    books = sovfund.books.init(str(path), terms="son-2025")
    books.partners(csv, usd_jpy="150")
    call = books.call(
        "3000000000",
        date="2026-01-15",
        due="2026-01-30",
        purpose="first icebreakers",
        usd_jpy="150",
    )
    books.pay(call.entry or 0)
    books.invest("icebreaker_heavy_1", "1700000000", date="2026-02-01")
    books.fees(through="2026-03-31", usd_jpy="150")
    books.close()
    prepare_books(str(path))
    engine = connect(str(path))
    users = Users(engine)
    keys = {
        "alice": users.add("alice", "lp", "retail_feeder")[1],
        "gina": users.add("gina", "gp_admin")[1],
        "ana": users.add("ana", "analyst")[1],
    }
    engine.dispose()
    return path, keys


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    path, keys = _books(folder)
    port = _free_port()
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "sovfund", "serve", str(path), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
        env={**os.environ, "SOVFUND_SESSION_SECRET": "browser-test-secret"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"sovfund serve did not start: {(folder / 'server.log').read_text()}")
        time.sleep(0.2)
    try:
        yield Server(url, keys)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _page(browser: Browser, server: Server, user: str) -> tuple[Page, list[str]]:
    """A new browser context (its own cookies) logged in as ``user``, and the console
    errors it sees (a script refused by the page's policy would show there)."""
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    expect(page).to_have_url(f"{server.url}/login")
    page.fill("#key", server.keys[user])
    page.click("button[type=submit]")
    return page, errors


def _shot(page: Page, name: str, *, readme: bool = False) -> Path:
    """The whole page, as a test artefact; with ``readme`` and
    ``SOVFUND_README_SCREENSHOTS=1``, its first screen also for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if readme and os.environ.get("SOVFUND_README_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / f"service-{name}.png"), full_page=False)
    return path


def test_an_lp_logs_in_and_reads_its_statement(browser: Browser, server: Server) -> None:
    page, errors = _page(browser, server, "alice")
    expect(page).to_have_url(f"{server.url}/account")
    expect(page.locator("h1")).to_have_text("US retail feeder")
    alice = {"Authorization": f"Bearer {server.keys['alice']}"}
    url = f"{server.url}/api/v1/partners/retail_feeder/statement"
    statement = httpx.get(url, headers=alice).json()
    called = f"{float(statement['called']):,.2f}"
    expect(page.locator("#statement")).to_contain_text(called)
    expect(page.locator("#capital-account")).to_have_text(
        f"{float(statement['capital_account']):,.2f}"
    )
    with page.expect_download() as download:
        page.locator("a.download").first.click()
    saved = download.value.path()
    assert "Capital account statement" in Path(saved).read_text(encoding="utf-8")
    _shot(page, "account", readme=True)
    assert errors == []


def test_a_gp_admin_previews_and_books_a_call_and_the_lp_sees_its_notice(
    browser: Browser, server: Server
) -> None:
    page, errors = _page(browser, server, "gina")
    expect(page).to_have_url(f"{server.url}/console")
    expect(page.locator("#register tbody tr")).to_have_count(50)
    _shot(page, "console", readme=True)
    page.click("a[rel=next]")
    expect(page.locator(".pager")).to_contain_text("page 2 of 3")

    page.goto("/console")
    form = page.locator("#call-form")
    form.locator("input[name=amount]").fill("400000000")
    form.locator("input[name=date]").fill("2026-04-15")
    form.locator("input[name=due]").fill("2026-04-30")
    form.locator("input[name=usd_jpy]").fill("150")
    form.locator("input[name=purpose]").fill("second icebreaker")
    form.locator("button").click()
    expect(page.locator("h1")).to_have_text("Capital call: preview")
    shares = page.locator("#shares")
    expect(shares).to_contain_text("retail_feeder")
    share = shares.locator("tr", has_text="retail_feeder").locator("td.n").inner_text()
    _shot(page, "call-preview")
    page.click("#book-call")
    expect(page.locator("p.ok")).to_contain_text("Booked the call as entry")
    entry = page.locator("p.ok").inner_text().split("entry ")[1].rstrip(".")

    form = page.locator("#distribution-form")
    form.locator("input[name=amount]").fill("150000000")
    form.locator("input[name=date]").fill("2026-04-16")
    form.locator("input[name=usd_jpy]").fill("148")
    form.locator("button").click()
    expect(page.locator("h1")).to_have_text("Distribution: preview")
    expect(page.locator("#tiers")).to_contain_text("return of capital")
    _shot(page, "distribution-preview")
    page.click("#book-distribution")
    expect(page.locator("p.ok")).to_contain_text("Booked the distribution")
    assert errors == []

    lp, lp_errors = _page(browser, server, "alice")
    notice = lp.locator("#notices tbody tr", has_text="Capital call, due 2026-04-30")
    expect(notice).to_contain_text("second icebreaker")
    expect(notice).to_contain_text(share)
    expect(lp.locator("#notices tbody tr").first).to_contain_text("Distribution")
    _shot(lp, "account-notice")
    with lp.expect_download() as download:
        lp.locator(f"a[href='/account/notices/{entry}/document']").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Capital call notice" in text
    assert share in text or share.replace(",", "") in text
    assert lp_errors == []


def test_an_analyst_runs_a_simulation_and_a_chart_appears(browser: Browser, server: Server) -> None:
    page, errors = _page(browser, server, "ana")
    expect(page).to_have_url(f"{server.url}/explorer")
    page.fill("input[name=paths]", "2000")
    page.fill("input[name=seed]", "7")
    page.fill("input[name=leverage]", "6")
    page.fill("input[name=overruns]", "1.3")
    page.fill("input[name=rate_shift_bp]", "100")
    page.check("input[name=tariff_snapback]")
    _shot(page, "explorer")
    page.click("#run")
    expect(page.locator("#verdict")).to_be_visible(timeout=180_000)
    chart = page.locator("#chart-lp-outcomes .main-svg").first
    expect(chart).to_be_visible(timeout=30_000)
    expect(page.locator("#chart-fan .main-svg").first).to_be_visible()
    expect(page.locator("#outcomes tbody tr")).not_to_have_count(0)
    _shot(page, "explorer-result", readme=True)
    with page.expect_download() as download:
        page.click("#report")
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "leverage 6x, overruns x1.3, rates +100bp, tariff snap-back" in report
    assert errors == []
