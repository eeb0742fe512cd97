"""Issue 16 item 1 in a real browser: the dashboard as the product starts it (`oversight dashboard`, its own process)
serves pages to a signed-in officer while the scheduled loader (`oversight --user loader inbox ingest`, another
process) ingests the inbox and a check run (a third) writes: no page shows an error or an exception, and neither
process is refused. The Reports page then counts what the loader ingested.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from store.db import connect
from store.passwords import hash_password
from tests import browser_kit as kit
from tests.conftest import DemoFiles, copy_demo
from tests.test_many_processes import BELCALL, finish, report, start

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
FAST = {"n": 2**10, "r": 8, "p": 1}  # a quick hash: the test signs in, it does not measure scrypt
PAGES = ["Reports", "Overview", "Findings", "Audit trail", "Checks"]
MONTHS = ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04"]


def test_the_loader_ingests_while_the_dashboard_serves_pages_in_a_browser(checked_demo_files: DemoFiles,
                                                                           tmp_path: Path) -> None:
    from playwright.sync_api import expect

    db = copy_demo(checked_demo_files, tmp_path / "oversight.duckdb", tmp_path / "oversight.key")
    con = connect(db, read_only=True)
    try:
        before = con.execute("SELECT count(*) FROM submissions").fetchall()[0][0]
    finally:
        con.close()
    for n, month in enumerate(MONTHS):
        report(tmp_path / "inbox" / BELCALL, f"belcall_{month}.csv", month,
               [f"BC-{month.replace('-', '')}-{i:03}" for i in range(40 + n)])
    config = (f'[users.olivia]\nroles = ["compliance_officer"]\npassword_hash = "{hash_password(PASSWORD, **FAST)}"'
              '\n\n[users.loader]\nroles = ["loader"]\n')
    with kit.running_app(tmp_path, env={"OVERSIGHT_DEMO": "0"}, config=config) as app, \
            kit.chromium() as browser, kit.open_page(browser, app.url) as (page, reported):
        main = kit.main(page)
        main.get_by_label("User name").fill("olivia")
        main.get_by_role("textbox", name="Password").fill(PASSWORD)
        kit.click(main.get_by_role("button", name="Sign in"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | {
            "OVERSIGHT_DB": str(db), "OVERSIGHT_KEY_FILE": str(tmp_path / "oversight.key"),
            "OVERSIGHT_CONFIG": str(tmp_path / "oversight.toml")}
        busy = [start(args, env) for args in (["--user", "loader", "inbox", "ingest"], ["--user", "olivia", "check"])]
        visits, deadline = 0, time.monotonic() + 180
        while (visits < len(PAGES) or any(p.poll() is None for p in busy)) and time.monotonic() < deadline:
            kit.open_nav(page, PAGES[visits % len(PAGES)], timeout_ms=120_000)
            assert kit.exceptions(page) == 0
            assert page.get_by_test_id("stAlertContentError").count() == 0, main.inner_text()
            visits += 1
        results = [finish(p, timeout=60) for p in busy]
        for code, out, err in results:
            assert code == 0 and "Traceback" not in err, (out, err)
        loaded = results[0][1]
        assert all(f"belcall_{month}.csv: loaded" in loaded for month in MONTHS), loaded
        kit.open_nav(page, "Reports", timeout_ms=120_000)
        expect(main.get_by_text(f"{before + len(MONTHS)} submission(s)")).to_be_visible()  # the history table
        assert not reported.page_errors, reported.page_errors
    con = connect(db, read_only=True)
    try:
        by_loader = con.execute("SELECT count(*) FROM submissions WHERE ingested_by = 'loader'").fetchall()[0][0]
    finally:
        con.close()
    assert by_loader == len(MONTHS)
    assert sorted(p.name for p in (tmp_path / "inbox" / "processed" / BELCALL).iterdir()) == sorted(
        f"belcall_{m}.csv" for m in MONTHS)
