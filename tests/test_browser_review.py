"""One case, one form, in a real browser (issue 12 §3): review case A with a comment, open case B, B's form is
empty; reopen A, A's saved answers are there. `oversight dashboard` driven by Debian's chromium through Playwright,
on a copy of the demo database with a drawn sample."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from spotchecks.review import RUBRIC
from spotchecks.samples import draw_sample
from store.db import connect
from store.identity import User
from tests import browser_kit as kit
from tests.conftest import DemoFiles, copy_demo
from tests.spot_demo import BELCALL

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

pytestmark = pytest.mark.browser

TIMELY = next(i.question for i in RUBRIC if i.id == "timely")
COMMENT = "Answered on day 41; no extension was notified."


@pytest.fixture(scope="module")
def app(demo_files: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str, str]]:
    folder = tmp_path_factory.mktemp("review")
    copy_demo(demo_files, folder / "oversight.duckdb", folder / "oversight.key")
    con = connect(folder / "oversight.duckdb")
    try:
        sample_id = draw_sample(con, User("aude", ("auditor",)), processor=BELCALL, period="2026-10", size=3,
                                seed="browser").sample_id
    finally:
        con.close()
    with kit.running_app(folder) as running, kit.chromium() as browser:
        yield browser, running.url, sample_id


def timely(main: Locator) -> Locator:
    return main.get_by_role("radiogroup", name=re.compile(f"^{re.escape(TIMELY)}"))


def comment_box(main: Locator, sample_id: str, case_id: str) -> Locator:
    return main.locator(f".st-key-spot_comment-{sample_id}-{case_id}-timely input")


def test_a_case_never_shows_another_cases_answers(app: tuple[Browser, str, str]) -> None:
    from playwright.sync_api import expect

    browser, url, sample_id = app
    with kit.open_page(browser, f"{url}/spotchecks?sample={sample_id}&step=Review",
                       viewport={"width": 1400, "height": 2400}) as (page, reported):
        main = kit.main(page)
        expect(main.get_by_role("heading", name="Review a case")).to_be_visible()
        box = main.get_by_role("combobox", name="Case", exact=True)
        box.click()
        options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
        page.keyboard.press("Escape")
        case_a, case_b = (o.split()[1] for o in options[:2])

        kit.choose(main, "Case", case_a, exact=False)
        timely(main).get_by_text("no", exact=True).click()
        kit.after_click(page)
        comment_box(main, sample_id, case_a).fill(COMMENT)
        comment_box(main, sample_id, case_a).press("Enter")
        kit.after_click(page)
        kit.click(main.get_by_role("button", name="Save review", exact=True))
        expect(main.get_by_text(f"Saved 1 answer(s) for {case_a}.")).to_be_visible()

        kit.choose(main, "Case", case_b, exact=False)
        expect(comment_box(main, sample_id, case_b)).to_have_value("")
        for option in ("yes", "no", "not applicable"):
            expect(timely(main).get_by_role("radio", name=option, exact=True)).not_to_be_checked()
        expect(main.get_by_text(COMMENT)).to_have_count(0)

        kit.choose(main, "Case", case_a, exact=False)
        expect(comment_box(main, sample_id, case_a)).to_have_value(COMMENT)
        expect(timely(main).get_by_role("radio", name="no", exact=True)).to_be_checked()
        kit.screenshot(page, kit.ARTIFACTS / "review" / "case-a-reopened.png")
        assert kit.exceptions(page) == 0 and reported.page_errors == []
