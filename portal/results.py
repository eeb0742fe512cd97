"""The processor's view of its check results (issue 15 item 1): per month and check, what was tested and what
offended, and which of its own cases; never another processor's, never the values behind an exception.

GDPR Art. 28(3)(h) and SCC 7.6(b): the processor must be able to act on what we found, so it sees the rule, the
clause and its own case ids. The exceptions' detail values (which may hold another case's data or a data subject's
pseudonym, e.g. for repeated requests) stay on our side.
"""

from __future__ import annotations

import duckdb

from checks.catalog import BY_ID
from store.db import rows
from store.identity import User
from store.scope import require_processor, scope_of, sql_filter


def periods_for(con: duckdb.DuckDBPyConnection, user: User, processor: str | None = None) -> list[str]:
    """The months with check results the user may see, newest first (a processor user: its own only)."""
    where, params = sql_filter(user)
    if processor is not None:
        require_processor(user, processor, "processor")
        where, params = f"{where} AND processor = $processor", {**params, "processor": processor}
    found = rows(con, f"SELECT DISTINCT period FROM latest_check_results WHERE {where} ORDER BY period DESC", params)
    return [str(r["period"]) for r in found]


def results_for(con: duckdb.DuckDBPyConnection, user: User, period: str,
                processor: str | None = None) -> list[dict[str, object]]:
    """Per check of the month: title, severity, clause, cases tested and offending, and the offending case ids.

    A processor user always gets its own processor's results (`processor` may name only that one); the controller's
    users name the processor.
    """
    own = scope_of(user)
    chosen = processor if processor is not None else own
    require_processor(user, chosen, "processor")
    if chosen is None:
        return []
    found = rows(con, """
        SELECT r.check_id, r.severity, r.clause, r.cases_tested, r.cases_offending, r.error IS NOT NULL AS failed,
               list_sort(list(DISTINCT e.case_id) FILTER (WHERE e.case_id IS NOT NULL)) AS case_ids
        FROM latest_check_results r
        LEFT JOIN latest_exceptions e USING (run_id, check_id, processor, period)
        WHERE r.processor = $processor AND r.period = $period
        GROUP BY ALL ORDER BY r.cases_offending DESC, r.check_id""", {"processor": chosen, "period": period})
    return [{
        "check_id": r["check_id"], "title": BY_ID[str(r["check_id"])].title if str(r["check_id"]) in BY_ID else "",
        "severity": r["severity"], "clause": r["clause"], "cases_tested": r["cases_tested"],
        "cases_offending": r["cases_offending"], "failed": bool(r["failed"]), "case_ids": list(r["case_ids"] or []),
    } for r in found]
