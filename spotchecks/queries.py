"""Read-side queries of the spot checks: samples, their items with review progress, a sampled case's facts."""

from __future__ import annotations

import json

import duckdb

from spotchecks.errors import UnknownSample


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[dict[str, object]]:
    """Run a query on this very connection (inside a caller's transaction) and return every row as a dict."""
    result = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _decode(sample: dict[str, object]) -> dict[str, object]:
    for key in ("filters", "plan"):
        if isinstance(sample.get(key), str):
            sample[key] = json.loads(sample[key])  # type: ignore[arg-type]
    # Migration 5 filled both lists for older samples; a row written without them has its one period.
    sample["periods"] = list(sample.get("periods") or [sample["period"]])  # type: ignore[call-overload]
    sample["submission_ids"] = list(sample.get("submission_ids") or [sample["submission_id"]])  # type: ignore[call-overload]
    return sample


def get_sample(con: duckdb.DuckDBPyConnection, sample_id: str) -> dict[str, object]:
    """Return the stored sample, or refuse an unknown id."""
    found = fetch(con, "SELECT * FROM samples WHERE sample_id = ?", [sample_id])
    if not found:
        raise UnknownSample(sample_id)
    return _decode(found[0])


def list_samples(con: duckdb.DuckDBPyConnection, processor: str | None = None,
                 period: str | None = None) -> list[dict[str, object]]:
    """Return the samples, newest first, with their size and how many cases are fully reviewed.

    `period` keeps the samples whose population includes that month (one of their periods).
    """
    found = fetch(
        con,
        """SELECT s.sample_id, s.processor, s.period, coalesce(s.periods, [s.period]) AS periods, s.method,
                  s.seed, s.population_size, s.fingerprint,
                  s.key_items, s.drawn_at, s.drawn_by, s.rubric_version,
                  count(i.case_id) FILTER (WHERE i.part = 'random') AS random_items,
                  count(i.case_id) FILTER (WHERE i.part = 'key_item') AS key_items_count,
                  (SELECT count(*) FROM sample_replacements r WHERE r.sample_id = s.sample_id) AS replacements
           FROM samples s
           LEFT JOIN active_sample_items i USING (sample_id)
           WHERE ($processor IS NULL OR s.processor = $processor)
             AND ($period IS NULL OR list_contains(coalesce(s.periods, [s.period]), $period))
           GROUP BY ALL ORDER BY s.drawn_at DESC, s.sample_id DESC""",
        {"processor": processor, "period": period},
    )
    for sample in found:  # fully reviewed: every item that applies to the case answered (applicability.py)
        sample["reviewed"] = sum(i["status"] == "active" and bool(i["complete"])
                                 for i in sample_items(con, str(sample["sample_id"])))
    return found


def sample_items(con: duckdb.DuckDBPyConnection, sample_id: str) -> list[dict[str, object]]:
    """Every case that joined the sample, in order, with its status, how many rubric items apply to it
    (`applicable`), how many are answered and whether every one that applies is (`complete`)."""
    from spotchecks.applicability import for_sample  # it reads samples through this module

    items = fetch(
        con,
        """WITH answered AS (
               SELECT case_id, count(*) AS answered, count(*) FILTER (WHERE answer = 'no') AS deviations
               FROM current_reviews WHERE sample_id = $sid GROUP BY case_id)
           SELECT i.case_id, i.part, i.position, i.rank, i.stratum, i.round, i.replaces,
                  r.replacement AS replaced_by, r.reason AS replaced_because,
                  CASE WHEN r.case_id IS NULL THEN 'active' ELSE 'replaced' END AS status,
                  coalesce(a.answered, 0) AS answered, coalesce(a.deviations, 0) AS deviations
           FROM sample_items i
           LEFT JOIN sample_replacements r ON r.sample_id = i.sample_id AND r.case_id = i.case_id
           LEFT JOIN answered a ON a.case_id = i.case_id
           WHERE i.sample_id = $sid
           ORDER BY i.part DESC, i.position""",
        {"sid": sample_id},
    )
    applies = for_sample(con, sample_id, [str(i["case_id"]) for i in items])
    for i in items:
        i["applicable"] = len(applies[str(i["case_id"])])
        i["complete"] = int(i["answered"]) >= i["applicable"]  # type: ignore[call-overload]
    return items


def case_facts(con: duckdb.DuckDBPyConnection, sample_id: str, case_id: str) -> dict[str, object] | None:
    """The sampled case as the reports the sample was drawn from state it (its latest period's row), with its
    check exceptions in those periods."""
    sample = get_sample(con, sample_id)
    found = fetch(con, "SELECT * EXCLUDE (extras) FROM cases WHERE list_contains($sids::INTEGER[], submission_id) "
                       "AND case_id = $case ORDER BY list_position($sids::INTEGER[], submission_id) DESC LIMIT 1",
                  {"sids": sample["submission_ids"], "case": case_id})
    if not found:
        return None
    facts = found[0]
    facts["exceptions"] = fetch(
        con,
        "SELECT check_id, severity, clause, CAST(details AS VARCHAR) AS details FROM latest_exceptions "
        "WHERE processor = $processor AND list_contains($periods::VARCHAR[], period) AND case_id = $case "
        "ORDER BY severity, check_id",
        {"processor": sample["processor"], "periods": sample["periods"], "case": case_id},
    )
    for exception in facts["exceptions"]:  # type: ignore[union-attr]
        exception["details"] = json.loads(exception["details"])
    return facts


def answers(con: duckdb.DuckDBPyConnection, sample_id: str, case_id: str | None = None) -> list[dict[str, object]]:
    """The current answer per case and rubric item (the newest review row of each)."""
    return fetch(
        con,
        "SELECT case_id, item_id, answer, comment, cause, reviewer, reviewed_at, rubric_version FROM current_reviews "
        "WHERE sample_id = $sid AND ($case IS NULL OR case_id = $case) ORDER BY case_id, item_id",
        {"sid": sample_id, "case": case_id},
    )


def population_count(con: duckdb.DuckDBPyConnection, processor: str, period: str | list[str]) -> int:
    """How many distinct cases the processor's current reports for the period(s) hold (the N a plan can use)."""
    periods = [period] if isinstance(period, str) else period
    [row] = fetch(con, "SELECT count(DISTINCT case_id) AS n FROM report_cases WHERE processor = ? "
                       "AND list_contains(?::VARCHAR[], period)", [processor, periods])
    return int(row["n"])  # type: ignore[call-overload]


def case_deadlines(con: duckdb.DuckDBPyConnection, processor: str, facts: dict[str, object],
                   controller_country: str | None = None) -> dict[str, object]:
    """The case's response deadlines under the statutory calendar: the controller's country unless the processor's
    profile overrides it, else the profile's (docs/deadlines.md, "Whose holidays"; checks/calendar.py computes)."""
    from checks.calendar import WorkingCalendar, response_deadlines
    from checks.contract import profile_for_processor

    profile = profile_for_processor(con, processor)
    deadlines = response_deadlines(
        facts["received_on"], WorkingCalendar.from_spec(profile.statutory_spec(controller_country)[0]),  # type: ignore[arg-type]
        extension_notified_on=facts.get("extension_notified_on"),  # type: ignore[arg-type]
        id_requested_on=facts.get("id_requested_on"), id_received_on=facts.get("id_received_on"),  # type: ignore[arg-type]
        id_request_within_days=profile.parameters.id_request_within_days)
    return {"due on (1 month)": deadlines.due_on, "extended due on (3 months)": deadlines.extended_due_on,
            "deadline that applies": deadlines.effective_due_on, "identity pause (days)": deadlines.paused_days,
            "calendar": deadlines.calendar}
