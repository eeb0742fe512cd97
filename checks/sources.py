"""The temporary tables a check run reads (its *sources*), built in SQL for the run's scope.

Temporary tables belong to one DuckDB connection: the runner builds them on a cursor of its own, so two runs (two
dashboard sessions) never see each other's. Deadlines are computed here over working-day calendar tables: the
statutory ones over the controller's calendar, the service levels over the contract profile's; checks/calendar.py is
the reference the tests hold this SQL to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from checks.calendar import WorkingCalendar, working_days
from vocab.parameters import PARAMETERS, SQL_TYPES

# Margin past the last date a deadline can need: 3 months + the longest plausible roll-forward.
_CALENDAR_MARGIN = timedelta(days=140)


@dataclass(frozen=True)
class ScopeRow:
    """One report in the run: which processor and month, as of when, under which profile and calendar."""

    processor: str
    period: str
    as_of: date
    profile: str
    profile_sha256: str
    calendar: WorkingCalendar
    # The statutory (Art. 12) deadlines' calendar: the controller's (docs/deadlines.md, "Whose holidays"); None:
    # the contract calendar above, which the service levels' working days always use.
    statutory: WorkingCalendar | None = None

    @property
    def statutory_calendar(self) -> WorkingCalendar:
        return self.statutory or self.calendar


def load_scope(cur: duckdb.DuckDBPyConnection, scope: list[ScopeRow], parameters: dict[str, object],
               clauses: dict[str, dict[str, str]]) -> None:
    """Create _scope, _params (one row per processor) and _clauses (processor, check_id, clause)."""
    _from_frame(cur, "_scope", "SELECT processor, period, CAST(as_of AS DATE) AS as_of, profile, profile_sha256, "
                "calendar, statutory_calendar FROM frame", pd.DataFrame([{
                    "processor": s.processor, "period": s.period, "as_of": s.as_of, "profile": s.profile,
                    "profile_sha256": s.profile_sha256, "calendar": s.calendar.key,
                    "statutory_calendar": s.statutory_calendar.key} for s in scope]))
    # One column per contract parameter, typed by its kind: DataFrame integers arrive as BIGINT, and DuckDB has no
    # DATE + BIGINT, so the day counts become INTEGER.
    _from_frame(cur, "_params", "SELECT processor, " + ", ".join(
        f"CAST({p.name} AS {SQL_TYPES[p.kind]}) AS {p.name}" for p in PARAMETERS) + " FROM frame",
        pd.DataFrame([{"processor": name, **{p.name: _value(getattr(values, p.name)) for p in PARAMETERS}}
                      for name, values in parameters.items()]))
    _from_frame(cur, "_clauses", "SELECT * FROM frame", pd.DataFrame(
        [{"processor": name, "check_id": check_id, "clause": clause}
         for name, mapping in clauses.items() for check_id, clause in mapping.items()],
        columns=["processor", "check_id", "clause"]))


def _from_frame(cur: duckdb.DuckDBPyConnection, table: str, select: str, frame: pd.DataFrame) -> None:
    """Create a temporary table from a DataFrame registered under the name `frame` for one statement."""
    cur.register("frame", frame)
    try:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}")
    finally:
        cur.unregister("frame")


def _value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def load_calendars(cur: duckdb.DuckDBPyConnection, scope: list[ScopeRow]) -> None:
    """Create _workdays(calendar, day, working, idx, next_working) and _nth(calendar, idx, day).

    idx counts the working days up to and including `day`, so the n-th working day after d is the working day whose
    idx is idx(d) + n; next_working is the day itself or the next working day (Reg. 1182/71 Art. 3(4)).
    """
    span = cur.execute("SELECT min(c.received_on), max(greatest(c.received_on, s.as_of, c.id_received_on, "
                       "c.responded_on, c.id_requested_on)) FROM report_cases c JOIN _scope s USING (processor, period)"
                       ).fetchall()[0]
    lows = [span[0]] if span[0] else []
    highs = [span[1]] if span[1] else []
    start = min([*lows, *(s.as_of for s in scope)]) - timedelta(days=31)
    # The identity pause can push a deadline as far as the pause lasted: cover up to twice the span past the end.
    end = max([*highs, *(s.as_of for s in scope)])
    end = end + (end - start) + _CALENDAR_MARGIN
    frames = []
    for cal in {c for s in scope for c in (s.calendar, s.statutory_calendar)}:
        days = working_days(cal, start, end)
        frames.append(pd.DataFrame({"calendar": cal.key, "day": [d for d, _ in days],
                                    "working": [w for _, w in days]}))
    _from_frame(cur, "_workdays", """
        WITH d AS (
            SELECT calendar, CAST(day AS DATE) AS day, working,
                   CAST(sum(CAST(working AS INTEGER)) OVER (PARTITION BY calendar ORDER BY day) AS INTEGER) AS idx
            FROM frame)
        SELECT d.*, min(day) FILTER (WHERE working) OVER (
                   PARTITION BY calendar ORDER BY day ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_working
        FROM d""", pd.concat(frames, ignore_index=True))
    cur.execute("CREATE OR REPLACE TEMP TABLE _nth AS SELECT calendar, idx, day FROM _workdays WHERE working")


def build_cases(cur: duckdb.DuckDBPyConnection) -> None:
    """Create _cases: every case of every report in scope with its deadlines, parameters and training facts."""
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _cases AS
        WITH firsts AS (
            -- the earliest receipt date any report up to this one gave the case
            SELECT c.processor, c.period, c.case_id, min(e.received_on) AS first_received_on
            FROM report_cases c
            JOIN _scope s USING (processor, period)
            JOIN report_cases e ON e.processor = c.processor AND e.case_id = c.case_id AND e.period <= c.period
            GROUP BY ALL),
        base AS (
            SELECT c.* EXCLUDE (extras, summary, received_on),
                   -- deadlines run from the earliest receipt date ever reported: a later report that rewrites it
                   -- (report.history_changed) cannot move them
                   coalesce(f.first_received_on, c.received_on) AS received_on,
                   c.received_on AS reported_received_on,
                   s.as_of, s.calendar, s.statutory_calendar, p.* EXCLUDE (processor),
                   -- EDPB 01/2022 §159: the clock pauses only when ID was asked without undue delay
                   (c.id_requested_on >= coalesce(f.first_received_on, c.received_on)
                    AND c.id_requested_on - coalesce(f.first_received_on, c.received_on) <= p.id_request_within_days)
                     AS pause_ok,
                   (NOT p.extension_requires_reason OR coalesce(trim(c.extension_reason), '') <> '') AS reason_ok,
                   -- the required fields the report's header lacked (report.field_missing says so once): a case
                   -- check that needs one does not apply, rather than fail or pass for want of the column
                   list_filter(p.required_fields, lambda f: NOT coalesce(list_contains(
                       from_json(sub.counts -> '$.cases.fields', '["VARCHAR"]'), f), TRUE)) AS missing_required
            FROM report_cases c
            JOIN _scope s USING (processor, period)
            JOIN _params p USING (processor)
            JOIN submissions sub ON sub.submission_id = c.submission_id
            LEFT JOIN firsts f ON f.processor = c.processor AND f.period = c.period AND f.case_id = c.case_id),
        paused AS (
            SELECT *,
                   CASE WHEN id_requested_on IS NULL THEN NULL ELSE pause_ok END AS pause_valid,
                   -- EDPB 01/2022 §159: the period is suspended only until the information is obtained, so a
                   -- pause counts with both dates; a case still waiting for it stays paused until the as-of date,
                   -- and one answered "identity not confirmed" (never obtained) until the answer. Any other answer
                   -- without the date the ID arrived gets no pause (identity.pause_unevidenced).
                   CAST(CASE WHEN NOT pause_ok THEN 0
                             WHEN id_received_on IS NOT NULL THEN greatest(0, id_received_on - id_requested_on)
                             WHEN responded_on IS NULL AND closed_on IS NULL AND outcome IS NULL
                                  THEN greatest(0, as_of - id_requested_on)
                             WHEN outcome = 'identity_not_confirmed' THEN greatest(0, responded_on - id_requested_on)
                             ELSE 0 END AS INTEGER) AS paused_days
            FROM base),
        roster AS (
            SELECT s.processor, s.period, t.agent_id, t.trained_on
            FROM _scope s
            JOIN processors pr ON pr.name = s.processor
            JOIN submissions sub ON sub.processor_id = pr.processor_id AND sub.period <= s.period
                                AND sub.status = 'current'
            JOIN training t ON t.submission_id = sub.submission_id),
        roster_agents AS (SELECT DISTINCT processor, period, agent_id FROM roster),
        roster_scopes AS (SELECT DISTINCT processor, period FROM roster),
        trained AS (
            -- the last training on or before receipt, looked up once per agent and day, not per case row: an ASOF
            -- join that carried the wide case rows took 5 of this statement's 7 CPU seconds at 1M cases (bench/)
            SELECT k.*, lt.trained_on
            FROM (SELECT DISTINCT c.processor, c.period, c.agent_id, c.received_on
                  FROM report_cases c JOIN roster_scopes USING (processor, period)
                  WHERE c.agent_id IS NOT NULL) k
            ASOF JOIN roster lt ON lt.processor = k.processor AND lt.period = k.period AND lt.agent_id = k.agent_id
                                AND lt.trained_on <= k.received_on)
        SELECT b.*,
               w1.next_working AS due_1m,
               w3.next_working AS due_3m,
               CASE WHEN b.extension_notified_on IS NULL THEN NULL
                    ELSE coalesce(b.extension_notified_on <= w1.next_working AND b.reason_ok, FALSE)
               END AS extension_valid,
               -- GDPR Art. 12(3): the extension counts only if notified within the first month "together with
               -- the reasons for the delay" (when the profile requires a reason, an extension without one is none)
               CASE WHEN b.extension_notified_on <= w1.next_working AND b.reason_ok THEN w3.next_working
                    ELSE w1.next_working END AS due_on,
               fw.day AS forward_due_on,
               oo.day AS optout_due_on,
               cw.day AS consent_due_on,
               co.day AS complaint_due_on,
               es.day AS escalation_due_on,
               rs.processor IS NOT NULL AS has_roster,
               ra.agent_id IS NOT NULL AS agent_on_roster,
               lt.trained_on AS last_trained_on
        FROM paused b
        -- Reg. 1182/71 Art. 3(2)(c): DuckDB's month arithmetic clamps to the month end; then the pause; then roll
        -- (Art. 3(4)) over the controller's holidays, the State where the action is taken; the service levels'
        -- working days below count the contract calendar's
        JOIN _workdays w1 ON w1.calendar = b.statutory_calendar
                         AND w1.day = CAST(b.received_on + INTERVAL 1 MONTH AS DATE) + b.paused_days
        JOIN _workdays w3 ON w3.calendar = b.statutory_calendar
                         AND w3.day = CAST(b.received_on + INTERVAL 3 MONTH AS DATE) + b.paused_days
        JOIN _workdays r ON r.calendar = b.calendar AND r.day = b.received_on
        LEFT JOIN _nth fw ON fw.calendar = b.calendar AND fw.idx = r.idx + b.forward_working_days
        LEFT JOIN _nth oo ON oo.calendar = b.calendar AND oo.idx = r.idx + b.optout_working_days
        LEFT JOIN _nth cw ON cw.calendar = b.calendar AND cw.idx = r.idx + b.consent_withdrawal_working_days
        LEFT JOIN _nth co ON co.calendar = b.calendar AND co.idx = r.idx + b.complaint_answer_working_days
        LEFT JOIN _nth es ON es.calendar = b.calendar AND es.idx = r.idx + b.escalation_working_days
        LEFT JOIN roster_scopes rs ON rs.processor = b.processor AND rs.period = b.period
        LEFT JOIN roster_agents ra ON ra.processor = b.processor AND ra.period = b.period AND ra.agent_id = b.agent_id
        LEFT JOIN trained lt ON lt.processor = b.processor AND lt.period = b.period AND lt.agent_id = b.agent_id
                            AND lt.received_on = b.reported_received_on""")


def build_reports(cur: duckdb.DuckDBPyConnection) -> None:
    """Create _reports: one row per report in scope with its facts and due date (day report_due_day of M+1)."""
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _reports AS
        SELECT s.processor, s.period, s.as_of, sub.submission_id, sub.file_name, sub.submitted_on,
               sub.submitted_on_source, sub.rows_quarantined, sub.declared_total, sub.declared_total_source,
               -- issue 12 §2: the month's first submission that loaded a case (else this one) is judged late or not
               coalesce(f.submission_id, sub.submission_id) AS first_submission_id,
               coalesce(f.submitted_on, sub.submitted_on) AS first_submitted_on,
               coalesce(f.submitted_on_source, sub.submitted_on_source) AS first_submitted_on_source,
               CASE WHEN f.submission_id IS NULL THEN sub.declared_submitted_on ELSE f.declared_submitted_on END
                 AS first_declared_submitted_on,
               sub.counts -> '$.cases.quarantine_reasons' AS quarantine_reasons,
               -- the rows the report lists: read minus blank and total lines (exact duplicates and quarantined
               -- rows are rows the processor reported, so they count)
               CAST(sub.counts ->> '$.cases.rows_read' AS INTEGER)
                 - coalesce(CAST(sub.counts ->> '$.cases.skipped.blank' AS INTEGER), 0)
                 - coalesce(CAST(sub.counts ->> '$.cases.skipped.total' AS INTEGER), 0) AS data_rows,
               CAST(CAST(strptime(s.period, '%Y-%m') + INTERVAL 1 MONTH AS DATE) + (p.report_due_day - 1) AS DATE)
                 AS report_due_on,
               p.quarantine_major_share, p.required_fields, p.roster_required,
               EXISTS (SELECT 1 FROM submissions t JOIN training tr ON tr.submission_id = t.submission_id
                       WHERE t.processor_id = pr.processor_id AND t.period = s.period AND t.status = 'current')
                 AS roster_sent,
               -- the fields the report's header gave (recorded at ingest; NULL for reports ingested before)
               from_json(sub.counts -> '$.cases.fields', '["VARCHAR"]') AS report_fields
        FROM _scope s
        JOIN processors pr ON pr.name = s.processor
        JOIN submissions sub ON sub.processor_id = pr.processor_id AND sub.period = s.period
                            AND sub.status = 'current' AND sub.kind = 'cases'
        LEFT JOIN (SELECT * FROM submissions WHERE kind = 'cases' AND rows_loaded > 0
                   QUALIFY row_number() OVER (PARTITION BY processor_id, period ORDER BY submission_id) = 1) f
               ON f.processor_id = pr.processor_id AND f.period = s.period
        JOIN _params p ON p.processor = s.processor""")


def build_dropped(cur: duckdb.DuckDBPyConnection) -> None:
    """Create _dropped: open cases of the previous month's report (consecutive months only) and if still listed."""
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _dropped AS
        SELECT s.processor, s.period, prev.case_id, prev.period AS previous_period, prev.received_on,
               prev.request_type, cur.case_id IS NOT NULL AS still_listed
        FROM _scope s
        -- open: neither answered nor closed (a case closed with no answer date is response.date_missing's)
        JOIN report_cases prev ON prev.processor = s.processor AND prev.responded_on IS NULL
             AND prev.closed_on IS NULL AND prev.outcome IS NULL
             AND prev.period = strftime(strptime(s.period, '%Y-%m') - INTERVAL 1 MONTH, '%Y-%m')
        LEFT JOIN report_cases cur ON cur.processor = s.processor AND cur.period = s.period
             AND cur.case_id = prev.case_id""")


# Every field a check reads (report.history_changed): a value an earlier report gave that a later one changes or
# drops is a rewrite; a value appearing is progress. The receipt date and the type never legitimately change.
HISTORY_FIELDS = ("received_on", "request_type", "identity_verified", "id_requested_on", "id_received_on",
                  "forwarded_on", "escalated_on", "extension_notified_on", "extension_reason", "responded_on",
                  "closed_on", "outcome", "refusal_reason", "complaint_right_notified", "judicial_remedy_notified",
                  "suppressed_on", "agent_id")
_ALWAYS_GIVEN = ("received_on", "request_type")
_COMES_TRUE = ("identity_verified",)  # "not yet verified" becoming "verified" (the ID arrived) is progress too


def _changed(field: str) -> str:
    earlier, current = f"earlier_values.{field}", f"current_values.{field}"
    given = ("" if field in _ALWAYS_GIVEN else f"{earlier} AND " if field in _COMES_TRUE
             else f"{earlier} IS NOT NULL AND ")
    return f"CASE WHEN {given}{earlier} IS DISTINCT FROM {current} THEN '{field}' END"


def build_history(cur: duckdb.DuckDBPyConnection) -> None:
    """Create _history: each case of a report in scope that an earlier report listed, against the latest such one.

    The latest earlier report is found first and joined after (not picked with QUALIFY beside the struct_pack): on
    DuckDB 1.5.5, the version the PostgreSQL extra pins, the QUALIFY form fails to bind (an internal error). A case
    id is unique within a report (ingest quarantines duplicates), so both forms give the same rows.
    """
    values = ", ".join(f"{f} := {{t}}.{f}" for f in HISTORY_FIELDS)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _history AS
        WITH latest AS (
            SELECT c.processor, c.period, c.case_id, max(e.period) AS earlier_period
            FROM report_cases c
            JOIN _scope s USING (processor, period)
            JOIN report_cases e ON e.processor = c.processor AND e.case_id = c.case_id AND e.period < c.period
            GROUP BY ALL),
        pairs AS (
            SELECT l.processor, l.period, l.case_id, l.earlier_period,
                   struct_pack({values.format(t="e")}) AS earlier_values,
                   struct_pack({values.format(t="c")}) AS current_values
            FROM latest l
            JOIN report_cases c ON c.processor = l.processor AND c.period = l.period AND c.case_id = l.case_id
            JOIN report_cases e ON e.processor = l.processor AND e.period = l.earlier_period
                 AND e.case_id = l.case_id)
        SELECT *,
               list_filter([{", ".join(_changed(f) for f in HISTORY_FIELDS)}], lambda f: f IS NOT NULL)
                 AS changed_fields
        FROM pairs""")


def build_agents(cur: duckdb.DuckDBPyConnection) -> None:
    """Create _agents: each agent of a report in scope, on its cases or on the roster sent up to it, with the cases
    the agent handled and those handled without current training (read from _cases)."""
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _agents AS
        WITH on_cases AS (
            SELECT processor, period, agent_id, list(case_id ORDER BY case_id) AS case_ids,
                   list(case_id ORDER BY case_id) FILTER (
                       WHERE has_roster AND agent_on_roster AND (last_trained_on IS NULL
                             OR last_trained_on < received_on - to_months(training_valid_months))) AS stale_case_ids,
                   max(last_trained_on) AS last_trained_on
            FROM _cases WHERE agent_id IS NOT NULL
            GROUP BY ALL),
        roster AS (
            SELECT s.processor, s.period, t.agent_id, max(t.confidentiality_signed_on) AS confidentiality_signed_on
            FROM _scope s
            JOIN processors pr ON pr.name = s.processor
            JOIN submissions sub ON sub.processor_id = pr.processor_id AND sub.period <= s.period
                                AND sub.status = 'current'
            JOIN training t ON t.submission_id = sub.submission_id
            GROUP BY ALL),
        agents AS (
            SELECT processor, period, agent_id, coalesce(c.case_ids, []) AS case_ids,
                   coalesce(c.stale_case_ids, []) AS stale_case_ids, c.last_trained_on,
                   r.agent_id IS NOT NULL AS on_roster, r.confidentiality_signed_on
            FROM on_cases c FULL JOIN roster r USING (processor, period, agent_id))
        SELECT a.*, EXISTS (SELECT 1 FROM roster x WHERE x.processor = a.processor AND x.period = a.period)
                      AS has_roster, p.training_valid_months
        FROM agents a JOIN _params p USING (processor)""")


def build_missing(cur: duckdb.DuckDBPyConnection) -> None:
    """Create _missing: each report in scope (reported), the months since the processor's previous report (not),
    and, after its last report, the months whose due day has passed by the as-of date (not)."""
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _missing AS
        WITH all_reports AS (
            SELECT p.name AS processor, s.period, CAST(strptime(s.period, '%Y-%m') AS DATE) AS month,
                   s.rows_loaded
            FROM submissions s JOIN processors p USING (processor_id)
            WHERE s.status = 'current' AND s.kind = 'cases'),
        -- a report none of whose rows load reports nothing: its month counts as missing
        reports AS (SELECT DISTINCT processor, period, month FROM all_reports WHERE rows_loaded > 0),
        bounds AS (
            SELECT sc.processor, sc.period, sc.as_of, pa.report_due_day,
                   CAST(strptime(sc.period, '%Y-%m') AS DATE) AS month,
                   (SELECT max(r.month) FROM reports r WHERE r.processor = sc.processor AND r.period < sc.period)
                     AS previous_month,
                   (SELECT max(r.period) FROM all_reports r WHERE r.processor = sc.processor) = sc.period AS is_last,
                   EXISTS (SELECT 1 FROM reports r WHERE r.processor = sc.processor AND r.period = sc.period)
                     AS loaded
            FROM _scope sc JOIN _params pa USING (processor)),
        months AS (
            SELECT processor, period, as_of, report_due_day, period AS missing_period, loaded AS reported FROM bounds
            UNION ALL
            SELECT processor, period, as_of, report_due_day, strftime(m, '%Y-%m'), FALSE
            FROM bounds, unnest(generate_series(previous_month + INTERVAL 1 MONTH, month - INTERVAL 1 MONTH,
                                                INTERVAL 1 MONTH)) AS g(m)
            WHERE previous_month IS NOT NULL
            UNION ALL
            SELECT processor, period, as_of, report_due_day, strftime(m, '%Y-%m'), FALSE
            FROM bounds, unnest(generate_series(month + INTERVAL 1 MONTH, as_of - INTERVAL 1 MONTH,
                                                INTERVAL 1 MONTH)) AS g(m)
            WHERE is_last)
        SELECT processor, period, missing_period, reported,
               CAST(CAST(strptime(missing_period, '%Y-%m') + INTERVAL 1 MONTH AS DATE) + (report_due_day - 1) AS DATE)
                 AS due_on, as_of
        FROM months
        -- after the last report, a month counts as missing only once its report's due day has passed (a report of
        -- the month that loaded nothing is missing at once: it came, and holds nothing)
        WHERE reported OR missing_period <= period
           OR CAST(strptime(missing_period, '%Y-%m') + INTERVAL 1 MONTH AS DATE) + (report_due_day - 1) < as_of""")


def build_repeats(cur: duckdb.DuckDBPyConnection) -> None:
    """Create _repeats: each case with a data subject, with the same subject's earlier requests of the same type
    received within repeat_window_days before it (from every report up to the case's own).

    Across a key rotation (store/keyring.py) the same person has two pseudonyms; during the overlap window ingest
    links the old one to the new one (pseudonym_links), and a linked pseudonym is matched as the newest it links
    to. Once the old key is retired its links are gone and its pseudonyms match nothing new (GDPR Art. 25)."""
    cur.execute(_REPEATS_SQL.replace("report_cases", _linked_cases(cur)))


def _linked_cases(cur: duckdb.DuckDBPyConnection) -> str:
    """report_cases with each pseudonym linked across a rotation replaced by the newest it links to (two rotations
    deep); report_cases itself when nothing is linked (the usual case: no join)."""
    if not cur.execute("SELECT count(*) FROM pseudonym_links").fetchall()[0][0]:
        return "report_cases"
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _subject_links AS
        SELECT l1.old_pseudonym AS old, any_value(coalesce(l2.new_pseudonym, l1.new_pseudonym)) AS subject
        FROM pseudonym_links l1 LEFT JOIN pseudonym_links l2 ON l2.old_pseudonym = l1.new_pseudonym
        GROUP BY l1.old_pseudonym""")
    return ("(SELECT rc_.* REPLACE (coalesce(sl_.subject, rc_.data_subject_ref) AS data_subject_ref) "
            "FROM report_cases rc_ LEFT JOIN _subject_links sl_ ON sl_.old = rc_.data_subject_ref)")


_REPEATS_SQL = """
        CREATE OR REPLACE TEMP TABLE _repeats AS
        WITH scope_cases AS (
            SELECT c.processor, c.period, c.case_id, c.data_subject_ref, c.request_type, c.received_on,
                   p.repeat_window_days AS window_days
            FROM report_cases c JOIN _scope s USING (processor, period) JOIN _params p USING (processor)
            WHERE c.data_subject_ref IS NOT NULL),
        horizon AS (
            SELECT processor, period, min(received_on) - max(window_days) AS since FROM scope_cases GROUP BY ALL),
        candidates AS (
            -- only a case some report up to the scope report lists with the same subject and type, received in the
            -- window, can be an earlier request: the latest state is looked up for those alone. Taking it for every
            -- case of every earlier report grew with months x cases (8M rows, 27 s at 1M cases over 12 months).
            SELECT DISTINCT c.processor, c.period AS scope_period, rc.case_id
            FROM scope_cases c
            JOIN report_cases rc ON rc.processor = c.processor AND rc.data_subject_ref = c.data_subject_ref
                 AND rc.request_type = c.request_type AND rc.period <= c.period AND rc.case_id <> c.case_id
                 AND rc.received_on >= c.received_on - c.window_days AND rc.received_on <= c.received_on),
        known AS (
            -- each candidate once per scope report: its latest state in the reports up to that one
            SELECT h.processor, h.period AS scope_period, rc.case_id, rc.data_subject_ref, rc.request_type,
                   rc.received_on, rc.outcome
            FROM candidates k
            JOIN horizon h ON h.processor = k.processor AND h.period = k.scope_period
            JOIN report_cases rc ON rc.processor = k.processor AND rc.case_id = k.case_id
                 AND rc.period <= k.scope_period AND rc.received_on >= h.since
            WHERE rc.data_subject_ref IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY h.processor, h.period, rc.case_id ORDER BY rc.period DESC) = 1),
        matches AS (
            SELECT c.processor, c.period, c.case_id, count(*) AS earlier_count,
                   list(k.case_id ORDER BY k.received_on, k.case_id) AS earlier_case_ids,
                   -- the earlier requests the processor reported as done: asked again, the fix did not hold
                   coalesce(list(k.case_id ORDER BY k.received_on, k.case_id) FILTER (WHERE k.outcome = 'fulfilled'),
                            []) AS earlier_fulfilled_ids
            FROM scope_cases c
            JOIN known k ON k.processor = c.processor AND k.scope_period = c.period
                 AND k.data_subject_ref = c.data_subject_ref AND k.request_type = c.request_type
                 AND k.case_id <> c.case_id
                 AND (k.received_on < c.received_on OR (k.received_on = c.received_on AND k.case_id < c.case_id))
                 AND k.received_on >= c.received_on - c.window_days
            GROUP BY ALL)
        -- a report lists a case once (ingest skips exact duplicates and quarantines conflicting rows), so the few
        -- matches join back on the case key rather than every case row being grouped
        SELECT c.processor, c.period, c.case_id, c.request_type, c.received_on, c.window_days,
               coalesce(m.earlier_count, 0) AS earlier_count, m.earlier_case_ids,
               coalesce(m.earlier_fulfilled_ids, []) AS earlier_fulfilled_ids
        FROM scope_cases c
        LEFT JOIN matches m USING (processor, period, case_id)"""


BUILDERS = {
    "cases": build_cases,
    "reports": build_reports,
    "dropped": build_dropped,
    "history": build_history,
    "missing": build_missing,
    "repeats": build_repeats,
    "agents": build_agents,
}
