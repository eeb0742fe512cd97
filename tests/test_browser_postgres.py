"""Issue 16 item 3 in a real browser: two dashboard processes (`oversight dashboard`, as the product starts it) on one
PostgreSQL database, as two replicas behind a proxy would be, see each other's changes: a check run started on one
shows on the other's next page run, and the other way round. No page shows an error or an exception.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path

import pytest

from store import postgres
from store.audit import verify_chain
from store.db import connect
from tests import browser_kit as kit
from tests import pgcluster

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

BELCALL = "Belcall Antwerpen BV"
PERIOD = "2026-10"


def _checks_page(page: object) -> None:
    main, side = kit.main(page), kit.sidebar(page)  # type: ignore[arg-type]
    kit.choose(side, "Processor", BELCALL)
    kit.choose(side, "Period", PERIOD)
    kit.open_nav(page, "Checks")  # type: ignore[arg-type]
    assert kit.exceptions(page) == 0, main.inner_text()  # type: ignore[arg-type]


def test_two_dashboard_processes_on_one_database_see_each_others_changes(
        pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    name = pg_cluster.create(pg_templates["demo"])
    url = pg_cluster.url(name)
    keys = tmp_path / "keys"
    keys.mkdir()
    for key in ("oversight.key", "audit.key"):
        (keys / key).write_bytes((Path(pg_templates["keys"]) / key).read_bytes())
        (keys / key).chmod(0o600)
    env = {"OVERSIGHT_DB": url, "OVERSIGHT_KEY_FILE": str(keys / "oversight.key"), "OVERSIGHT_DEMO": "0"}
    config = f'[access]\nmode = "local"\n\n[paths]\ninbox = "{tmp_path / "inbox"}"\n'
    for n in (1, 2):
        (tmp_path / f"replica{n}").mkdir()
    try:
        with ExitStack() as stack:
            apps = [stack.enter_context(kit.running_app(tmp_path / f"replica{n}", env=env, config=config))
                    for n in (1, 2)]
            browser = stack.enter_context(kit.chromium())
            (one, one_reported), (two, two_reported) = (stack.enter_context(kit.open_page(browser, app.url))
                                                        for app in apps)
            for page in (one, two):
                _checks_page(page)
                expect(kit.main(page).get_by_text("No check run for this period yet")).to_be_visible()
            # Replica 1 runs the checks; replica 2 sees the run on its next page run.
            kit.click(kit.main(one).get_by_role("button", name="Run the checks"), timeout_ms=120_000)
            expect(kit.main(one).get_by_text(re.compile(r"Check run 1: \d+ checks"))).to_be_visible()
            kit.open_nav(two, "Checks")
            expect(kit.main(two).get_by_text(re.compile(r"Check run 1 by "))).to_be_visible()
            assert kit.main(two).get_by_test_id("stDataFrame").count() >= 1
            # And the other way round.
            kit.click(kit.main(two).get_by_role("button", name="Run the checks"), timeout_ms=120_000)
            expect(kit.main(two).get_by_text(re.compile(r"Check run 2: \d+ checks"))).to_be_visible()
            kit.open_nav(one, "Checks")
            expect(kit.main(one).get_by_text(re.compile(r"Check run 2 by "))).to_be_visible()
            for page, reported in ((one, one_reported), (two, two_reported)):
                assert kit.exceptions(page) == 0
                assert page.get_by_test_id("stAlertContentError").count() == 0, kit.main(page).inner_text()
                assert not reported.page_errors, reported.page_errors
        with pytest.MonkeyPatch.context() as env_patch:  # the audit key: nothing lies beside a URL
            env_patch.setenv("OVERSIGHT_KEY_FILE", str(keys / "oversight.key"))
            con = connect(url)
            try:
                runs = con.execute("SELECT run_id, user_name FROM check_runs ORDER BY 1").fetchall()
                chain = verify_chain(con)
            finally:
                con.close()
        assert [r[0] for r in runs] == [1, 2]
        assert chain.intact, chain.reason
    finally:
        postgres.release(url)
        pg_cluster.drop(name)
