"""The SQL deadlines of the check runner equal the Python reference (checks/calendar.py) on random requests."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.calendar import WorkingCalendar, response_deadlines
from checks.contract import load_profile
from checks.sources import ScopeRow, build_cases, load_calendars, load_scope
from store.db import connect
from tests.checkkit import add_report

PROFILES = {name: load_profile(name) for name in ("default", "nl", "fr")}
AS_OF = date(2029, 6, 30)

request = st.fixed_dictionaries({
    "received_on": st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    "profile": st.sampled_from(sorted(PROFILES)),
    "id_asked_after": st.one_of(st.none(), st.integers(0, 9)),
    "id_took": st.integers(0, 45),
    "extension_after": st.one_of(st.none(), st.integers(20, 40)),
    "extension_reason": st.sampled_from([None, "", "complex request: records in three systems"]),
})


@settings(max_examples=12, deadline=None)
@given(requests=st.lists(request, min_size=50, max_size=250))
def test_sql_deadlines_equal_the_python_reference(requests):
    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "prop.duckdb")
        by_profile: dict[str, list[dict[str, object]]] = {name: [] for name in PROFILES}
        expected = {}
        for i, r in enumerate(requests):
            received = r["received_on"]
            case = {"case_id": f"c{i}", "received_on": received}
            if r["id_asked_after"] is not None:
                case["id_requested_on"] = received + timedelta(days=r["id_asked_after"])
                case["id_received_on"] = case["id_requested_on"] + timedelta(days=r["id_took"])
            if r["extension_after"] is not None:
                case["extension_notified_on"] = received + timedelta(days=r["extension_after"])
                case["extension_reason"] = r["extension_reason"]
            by_profile[r["profile"]].append(case)
            profile = PROFILES[r["profile"]]
            cal = WorkingCalendar.from_spec(profile.calendar)
            ref = response_deadlines(received, cal, extension_notified_on=case.get("extension_notified_on"),
                                     id_requested_on=case.get("id_requested_on"),
                                     id_received_on=case.get("id_received_on"),
                                     id_request_within_days=profile.parameters.id_request_within_days,
                                     extension_reason=case.get("extension_reason"),
                                     extension_requires_reason=profile.parameters.extension_requires_reason)
            expected[f"c{i}"] = (ref.due_on, ref.extended_due_on, ref.effective_due_on, ref.paused_days,
                                 cal.nth_working_day_after(received, profile.parameters.forward_working_days),
                                 cal.nth_working_day_after(received, profile.parameters.optout_working_days))
        scope = []
        for name, cases in by_profile.items():
            if cases:
                add_report(con, "2026-06", cases, processor=f"P-{name}", profile=name)
                p = PROFILES[name]
                scope.append(ScopeRow(f"P-{name}", "2026-06", AS_OF, p.name, p.sha256,
                                      WorkingCalendar.from_spec(p.calendar)))
        load_scope(con, scope, {s.processor: PROFILES[s.profile].parameters for s in scope}, {})
        load_calendars(con, scope)
        build_cases(con)
        got = {row[0]: tuple(row[1:]) for row in con.execute(
            "SELECT case_id, due_1m, due_3m, due_on, paused_days, forward_due_on, optout_due_on FROM _cases"
        ).fetchall()}
        con.close()
    assert got == expected
