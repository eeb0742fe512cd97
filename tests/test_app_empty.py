"""Every page on an empty database (demo off, as a real deployment starts): no exception, and a notice saying what to
do next (issue 6: "empty states on every page that say what to do next")."""

from __future__ import annotations

import pytest

from tests.conftest import AppEnv, open_dashboard_page

# page script -> what its empty state must point to
NEXT_STEP = {
    "app/overview.py": "upload one on the Reports page",
    "app/reports.py": "upload one above, or drop it in the inbox",
    "app/checks.py": "upload one on the Reports page, then run the checks here",
    "app/spotchecks.py": "upload one on the Reports page, then draw a sample here",
    "app/findings.py": "upload one on the Reports page and run the checks",
    "app/contract.py": "upload one on the Reports page",
    "app/audit.py": "ingest a report on the Reports page first",
    "app/processors.py": "add one below, or upload its first report on the Reports page",
    "app/case.py": "upload one on the Reports page",
}


@pytest.mark.parametrize("page", list(NEXT_STEP))
def test_an_empty_database_says_what_to_do_next(page: str, app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSIGHT_DEMO", "0")
    at = open_dashboard_page(page, step="Evaluate")  # a shared link into a tab that has nothing yet
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(NEXT_STEP[page] in str(i.value) for i in at.info), [i.value for i in at.info]
