"""Every fixture report in tests/fixtures/reports/ against its .expect.json (looped over by glob)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ingest import errors
from ingest.service import ingest_report

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
EXPECTATIONS = sorted(FIXTURES.glob("*.expect.json"))


def _report_file(expect: Path) -> Path:
    stem = expect.name.removesuffix(".expect.json")
    [path] = [p for p in FIXTURES.glob(stem + ".*") if not p.name.endswith(".expect.json")]
    return path


def test_there_are_fixtures_for_every_variant():
    names = " ".join(p.name for p in EXPECTATIONS)
    for variant in ("cp1252", "utf16", "bom", "xlsx", "refuse_empty", "refuse_corrupt", "refuse_unknown_headers"):
        assert variant in names


@pytest.mark.parametrize("expect_file", EXPECTATIONS, ids=lambda p: p.name.removesuffix(".expect.json"))
def test_fixture(expect_file: Path, con, officer, key_path):
    expect = json.loads(expect_file.read_text(encoding="utf-8"))
    args = expect["args"]
    path = _report_file(expect_file)

    def run():
        return ingest_report(
            con,
            path,
            user=officer,
            key_path=key_path,
            processor=args.get("processor"),
            period=args.get("period"),
            submitted_on=date.fromisoformat(args["submitted_on"]) if args.get("submitted_on") else None,
            keep_notes=True,  # the expectations read the notes as written ([ingest] keep_notes = true)
        )

    if expect.get("refused"):
        with pytest.raises(getattr(errors, expect["refused"])) as caught:
            run()
        assert path.name in str(caught.value)
        assert con.execute("SELECT count(*) FROM submissions").fetchall()[0][0] == 0
        return
    result = run()
    detected = expect["detected"]
    assert result.detected["format"] == detected["format"]
    if detected.get("encoding"):
        assert result.detected["encoding"] == detected["encoding"]
    if detected.get("delimiter"):
        assert result.detected["delimiter"] == detected["delimiter"]
    row = con.execute(
        "SELECT header_row, sheet, period, declared_total FROM submissions WHERE submission_id = ?",
        [result.submission_id],
    ).fetchall()[0]
    assert row[0] == detected["header_row"]
    if detected.get("sheet"):
        assert row[1] == detected["sheet"]
    facts = expect.get("facts") or {}
    if facts.get("period"):
        assert row[2] == facts["period"]
    if "declared_total" in facts:
        assert row[3] == facts["declared_total"]
    for part in ("cases", "training"):
        want = expect.get(part)
        if want is None:
            assert part not in result.parts
            continue
        got = result.parts[part]
        for key in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped"):
            assert got[key] == want[key], (part, key, got)
        assert got["rows_read"] == got["rows_loaded"] + got["rows_quarantined"] + got["rows_skipped"]
        if "skipped" in want:
            assert {k: v for k, v in got["skipped"].items() if v} == {k: v for k, v in want["skipped"].items() if v}
        if "quarantine_reasons" in want:
            assert got["quarantine_reasons"] == want["quarantine_reasons"]
    assert sorted(result.extras) == sorted(expect.get("extras") or [])
    for spot in expect.get("spot") or []:
        value = con.execute(
            f'SELECT "{spot["field"]}" FROM cases WHERE submission_id = ? AND case_id = ?',
            [result.submission_id, spot["case_id"]],
        ).fetchall()
        assert value, f"case {spot['case_id']} was not loaded"
        got_value = value[0][0]
        got_value = got_value.isoformat() if isinstance(got_value, date) else got_value
        assert got_value == spot["value"], spot
