"""Names shown in the dashboard are text, never Markdown (issue 18, item 6), on every page beyond Reports: a
processor named like a Markdown link with bold, with a real report ingested and checked, shows its name literally
(escaped in the Markdown the pages send) and no page makes a link or emphasis of it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from app.text import literal
from checks.runner import run_checks
from findings.raising import raise_from_checks
from ingest.service import ingest_report
from store.db import connect
from store.identity import ROLES, User
from tests.conftest import HEADER_NL, nl_row, open_dashboard_page

EVIL = "[x](http://evil.example) **bold**"
RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])  # as tests/test_ways_out.py
OFFICER = User("olivia", ROLES)


@pytest.fixture
def evil_processor(app_env, tmp_path: Path):
    report = tmp_path / "evil_2026-10.csv"
    report.write_text("\n".join([
        HEADER_NL, nl_row("EV-1"), nl_row("EV-2", received="01-08-2026", responded="20-10-2026", outcome="Toegekend"),
        nl_row("EV-3", received="01-08-2026")]) + "\n", encoding="utf-8")
    con = connect(app_env.db)
    try:
        ingest_report(con, report, user=OFFICER, key_path=app_env.key, processor=EVIL, submitted_on=date(2026, 11, 20))
        run_checks(con, OFFICER)
        raise_from_checks(con, OFFICER, processor=EVIL)
        [(name,)] = con.execute("SELECT name FROM processors").fetchall()
        [(finding,)] = con.execute("SELECT min(finding_id) FROM findings").fetchall()
    finally:
        con.close()
    return name, finding


def shown(at) -> list[str]:
    """Every piece of Markdown the page sent: texts, captions, messages, headings and expander labels."""
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader",
                                  "header", "title") for e in getattr(at, kind)]
    return texts + [e.label for e in at.expander]


@pytest.mark.parametrize(("page", "query", "named"), [
    ("app/overview.py", {"period": "2026-10"}, True),
    ("app/checks.py", {"period": "2026-10"}, True),
    ("app/checks.py", {}, True),
    ("app/contract.py", {}, True),
    ("app/spotchecks.py", {"period": "2026-10"}, True),
    ("app/findings.py", {}, False),  # the list is a table; its Markdown names no processor
    ("app/processors.py", {}, False),
    ("app/audit.py", {}, False),
])
def test_a_processor_name_is_shown_as_text(evil_processor, page: str, query: dict[str, str], named: bool) -> None:
    name, _ = evil_processor
    at = open_dashboard_page(page, processor=name, **query)
    texts = shown(at)
    rendered = " ".join(RENDER.render(t) for t in texts)
    if named:
        assert literal(name) in " ".join(texts), (page, texts)  # the name is there, escaped
    assert 'href="http://evil.example' not in rendered and "<strong>bold" not in rendered, rendered
    assert "<a " not in rendered or page == "app/spotchecks.py", rendered  # links to cases are the page's own


def test_the_finding_and_case_pages_show_the_name_as_text(evil_processor) -> None:
    name, finding = evil_processor
    for page, query in (("app/findings.py", {"finding": str(finding)}), ("app/case.py", {"case_id": "EV-2"})):
        at = open_dashboard_page(page, processor=name, **query)
        texts = shown(at)
        rendered = " ".join(RENDER.render(t) for t in texts)
        assert literal(name) in " ".join(texts), (page, texts)
        assert 'href="http://evil.example' not in rendered and "<strong>bold" not in rendered, rendered
