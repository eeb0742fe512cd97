"""Every way out is safe (issue 18, item 6, the parts built): no built-in table download that would write formulas
unescaped, and names from outside (files, inbox folders, processors, users) shown as text, never as Markdown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from app.text import literal
from ingest.service import ingest_report
from store.db import connect
from store.identity import ROLES, User
from tests import browser_kit as kit
from tests.conftest import HEADER_NL, nl_row, open_dashboard_page

EVIL_FOLDER = "[Belcall](https:evil.example)"  # a folder name holds no slash
HOSTILE = [EVIL_FOLDER, "**bold** _it_", "# Heading", "<img src=x onerror=alert(1)>", "1. listed", "`code`",
           "![pic](https://evil.example/p.png)", "a | b", "$x^2$", "line\nbreak", "https://evil.example/raw",
           "x\\", "~~gone~~", "[ref]: https://evil.example"]
# What Streamlit's renderer follows: CommonMark with the GitHub extensions (tables, strikethrough, autolinks).
RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.mark.parametrize("name", HOSTILE)
def test_a_name_renders_as_its_own_text(name: str) -> None:
    html = RENDER.render(literal(name))
    for tag in ("<a ", "<strong", "<em", "<h1", "<img", "<ol", "<code", "<table", "<s>", "<del"):
        assert tag not in html, (name, html)
    assert html == f"<p>{escapeHtml(' '.join(name.split()))}</p>\n"  # exactly its text


def inbox_with_a_hostile_folder(folder: Path) -> None:
    hostile = folder / "inbox" / EVIL_FOLDER
    hostile.mkdir(parents=True)
    (hostile / "**report**_2026-10.csv").write_text("\n".join([HEADER_NL, nl_row("BC-9")]) + "\n", encoding="utf-8")


def test_the_reports_page_shows_inbox_folder_and_file_names_as_text(app_report) -> None:
    inbox_with_a_hostile_folder(app_report.db.parent)
    at = open_dashboard_page("app/reports.py")
    shown = [m.value for m in at.markdown]
    rendered = " ".join(RENDER.render(v) for v in shown)
    assert "evil.example" in rendered and "<a " not in rendered  # the name is there, as text
    assert any(literal(f"{EVIL_FOLDER}/**report**_2026-10.csv") in v for v in shown)
    assert any(f"Processor: **{literal(EVIL_FOLDER)}**" in v for v in shown)


@pytest.mark.browser
def test_tables_offer_no_unescaped_download_and_names_are_no_links(tmp_path: Path) -> None:
    con = connect(tmp_path / "oversight.duckdb")
    try:
        report = tmp_path / "belcall_2026-10.csv"
        report.write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
        ingest_report(con, report, user=User("=HYPERLINK(\"https://evil.example\")", ROLES),
                      key_path=tmp_path / "oversight.key", processor="Belcall Antwerpen BV",
                      submitted_on=date(2026, 11, 5))
    finally:
        con.close()
    inbox_with_a_hostile_folder(tmp_path)
    with kit.running_app(tmp_path, env={"OVERSIGHT_DEMO": "0"}) as app, kit.chromium() as browser:
        with kit.open_page(browser, f"{app.url}/audit") as (page, _):
            grid = page.get_by_test_id("stDataFrame").first
            grid.hover()
            page.wait_for_timeout(500)
            labels = page.get_by_test_id("stElementToolbar").first.locator("button").evaluate_all(
                "buttons => buttons.map(b => b.getAttribute('aria-label') || b.innerText)")
            assert labels, "the table's toolbar did not show"
            assert not [label for label in labels if "download" in str(label).lower()], labels
        with kit.open_page(browser, f"{app.url}/reports") as (page, _):
            assert EVIL_FOLDER in kit.main(page).inner_text()
            assert page.locator("a[href*='evil.example']").count() == 0
