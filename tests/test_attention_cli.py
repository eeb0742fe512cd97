"""`oversight attention`: the Overview's sentences on the command line, the same service (metrics.attention)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from commands.attention import plain
from metrics.attention import for_month
from store.db import connect
from tests.conftest import CliEnv, CliResult, run_cli

BELCALL = "Belcall Antwerpen BV"


def attention(*args: str) -> CliResult:
    """Run `oversight attention <args>`."""
    return run_cli("attention", *args)


def expected(db: Path, **kwargs: object) -> list[str]:
    con = connect(db)
    try:
        return [plain(p.text) for p in for_month(con, as_of=date(2026, 11, 28), **kwargs)[1]]  # type: ignore[arg-type]
    finally:
        con.close()


def test_the_latest_month_is_told_as_the_overview_tells_it(cli_env: CliEnv, checked_demo_db: Path) -> None:
    code, out, _ = attention("--as-of", "2026-11-28")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "What needs attention — all processors, October 2026:"
    points = expected(checked_demo_db)
    assert len(points) >= 4 and [line.split("  [")[0] for line in lines[1:]] == [f"- {p}" for p in points]
    assert lines[1].startswith("- Appelia Services SRL: no report for September 2026 (report.missing)")
    assert lines[1].endswith("[Reports: Submission history]") and "**" not in out


def test_json_gives_each_point_with_its_page_and_filters(cli_env: CliEnv, checked_demo_db: Path) -> None:
    code, out, _ = attention("--processor", BELCALL, "--period", "2026-08", "--as-of", "2026-11-28", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["processor"], doc["period"], doc["checked"]) == (BELCALL, "2026-08", True)
    assert [p["text"] for p in doc["points"]] == expected(checked_demo_db, processor=BELCALL, period="2026-08")
    assert doc["points"][0]["page"] == "checks" and doc["points"][0]["filters"] == {"processor": BELCALL,
                                                                                      "period": "2026-08"}


def test_an_unknown_processor_or_month_is_refused_with_what_exists(cli_env: CliEnv, checked_demo_db: Path) -> None:
    code, _, err = attention("--processor", "Belcal")
    assert code == 2 and "There is no processor named 'Belcal'" in err and BELCALL in err
    code, _, err = attention("--period", "2025-01")
    assert code == 2 and "No report for 2025-01. Months with data: 2026-07, 2026-08, 2026-09, 2026-10." in err


def test_an_empty_database_says_to_ingest_first(cli_env: CliEnv) -> None:
    code, _, err = attention()
    assert code == 2 and "No report yet, so nothing to tell: ingest a monthly report first" in err
