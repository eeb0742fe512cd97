"""A large, realistic oversight database for benchmarks, written straight into DuckDB with SQL (no report files).

    from bench.data import build
    built = build(Path("bench/out/big.duckdb"), cases=1_000_000, months=24, processors=3, start="2025-01")

`build` replaces the file with a database at the current schema (every migration applied) holding `cases` distinct
privacy requests received over `months` calendar months from `start` by `processors` call centres, in the shape
ingest leaves behind: one current cases report per processor and month (`submissions`, with `counts` JSON as ingest
writes it), and the report's rows in `cases`. As the report format says, a report lists every case received in its
month **and every case still open at the start of it**, each as known at the end of the month (later dates blank), so
the `cases` table holds more rows than there are requests (about 1.3x: see `Built.rows`). The first processor also
sends its staff training roster with every report (a second sheet, `training`).

Values are pseudo-random but deterministic: every draw is DuckDB's `hash(i, salt, seed)` of the request number, so
the same arguments give the same database. The mix follows the demo reports (sample_reports/scenario.py: request
types, outcomes, channels, who handles what) plus the problems a real processor has, at rates a compliance officer
would recognise: about 3 % answered late, some never answered, extensions (a few notified too late or without a
reason), identity requests (a few too late), forwarding, escalation and opt-out suppression mostly on time with a
few late or missing, repeat data subjects (64-hex pseudonyms like ingest's HMAC), agents whose training lapsed or
who are not on the roster, a few late reports and declared totals that do not match, a few open cases dropped from
the next report and a few carried-over cases whose receipt date changed. From 100,000 cases on, every check of the
catalog finds something except `report.missing` (every month is reported) and `report.rows_quarantined` (nothing is
quarantined). Building 1,000,000 requests over 12 months takes about 20 s on the 2-core machine.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from sample_reports.profiles import APPELIA, BELCALL
from sample_reports.scenario import OUTCOME_WEIGHTS, TYPE_WEIGHTS, WEEKDAY_CHANNELS, WEEKEND_CHANNELS
from store.db import connect, transaction

# Bump when the generated data changes, so cached benchmark databases are rebuilt (see `matches`).
VERSION = 1
META_KEY = "bench.data"

PROCESSORS = [  # (name, case-id prefix, languages, summaries from this demo profile)
    ("Belcall Antwerpen BV", "BC", {"nl": 78, "fr": 15, "en": 7}, BELCALL),
    ("Appelia Services SRL", "APS", {"fr": 70, "nl": 22, "en": 8}, APPELIA),
    ("Nordcall Gent NV", "NCG", {"nl": 85, "en": 15}, BELCALL),
    ("Luxcontact Liège SA", "LXL", {"fr": 80, "nl": 10, "en": 10}, APPELIA),
]
ESCALATE_TO = {"erasure": {"legal": 6, "dpo": 4}, "objection": {"dpo": 7, "legal": 3},
               "complaint": {"dpo": 8, "controller": 2}}
# The default contract profile (docs/checks.md): what the processor may handle itself, and what it must escalate.
HANDLED_BY_PROCESSOR = ["marketing_opt_out", "consent_withdrawal", "rectification"]
ESCALATE_TYPES = ["erasure", "objection", "complaint"]
ESCALATE_OUTCOMES = ["refused", "partially_fulfilled"]
DISCLOSING = ["access", "portability", "erasure"]  # types where identity matters (sample_reports/scenario.py)
NO_ID_NEEDED = ["marketing_opt_out", "consent_withdrawal"]  # EDPB 01/2022 §§65-79
REFUSALS = ["refused", "partially_fulfilled", "identity_not_confirmed"]  # need the Art. 12(4) notice
_PARAMETER = re.compile(r"\$([a-z_]+)")


@dataclass(frozen=True)
class Built:
    """What `build` wrote: the arguments, the rows per table, and how long it took."""

    path: Path
    cases: int          # distinct requests (case ids)
    rows: int           # rows in `cases`: each request once per report that lists it
    reports: int        # current cases reports (one per processor and month)
    training_rows: int
    processors: int
    months: int
    start: str
    seed: int
    seconds: float

    def as_meta(self) -> dict[str, object]:
        return {"version": VERSION, "cases": self.cases, "rows": self.rows, "reports": self.reports,
                "training_rows": self.training_rows, "processors": self.processors, "months": self.months,
                "start": self.start, "seed": self.seed}


def build(path: Path, *, cases: int = 100_000, months: int = 12, processors: int = 3, start: str = "2025-01",
          seed: int = 0) -> Built:
    """Replace `path` with a database of `cases` requests over `months` months from `start` for `processors`.

    `cases` counts distinct requests (case ids); `processors` (1 to 4) share them 5:3:1 for three; `start` is the
    first period, `YYYY-MM`; `seed` varies the draws. The file is a normal oversight database: open it with
    `store.db.connect`, run `checks.runner.run_checks` on it, or point `oversight --db` or the dashboard at it.
    """
    if cases < 1 or months < 1 or not 1 <= processors <= len(PROCESSORS):
        raise ValueError(f"need cases >= 1, months >= 1 and 1 <= processors <= {len(PROCESSORS)}")
    first = date.fromisoformat(f"{start}-01")
    tick = time.perf_counter()
    path = Path(path)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = connect(path)
    try:
        con.execute("SET enable_progress_bar = false")
        params = {"n": cases, "months": months, "procs": processors, "start": first, "seed": seed,
                  "handled": HANDLED_BY_PROCESSOR, "escalate_types": ESCALATE_TYPES,
                  "escalate_outcomes": ESCALATE_OUTCOMES, "disclosing": DISCLOSING, "no_id_needed": NO_ID_NEEDED,
                  "refusals": REFUSALS}
        _pick_tables(con, processors)
        with transaction(con):
            _processors(con, processors)
            _requests(con, params)
            _rows(con, params)
            _submissions(con, params)
            for source, target in (("_rows", "cases"), ("_roster", "training")):
                con.execute(f"INSERT INTO {target} BY NAME SELECT * EXCLUDE (processor_id, period) FROM {source} "
                            "JOIN (SELECT submission_id, processor_id, period FROM submissions) "
                            "USING (processor_id, period) ORDER BY submission_id, source_row")
            (rows,), (reports,), (training,) = (con.execute(f"SELECT count(*) FROM {t}").fetchall()[0]
                                                 for t in ("cases", "submissions", "training"))
            built = Built(path, cases, rows, reports, training, processors, months, start, seed,
                          time.perf_counter() - tick)
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_KEY, json.dumps(built.as_meta())])
        for table in ("_picks", "_summaries", "_procs", "_requests", "_rows", "_roster"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return built


def matches(path: Path, *, cases: int, months: int, processors: int, start: str = "2025-01", seed: int = 0) -> bool:
    """True when `path` is a database `build` made with these arguments and this VERSION (a cache that is valid)."""
    if not Path(path).exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        found = con.execute("SELECT value FROM meta WHERE key = ?", [META_KEY]).fetchall()
    except duckdb.Error:
        return False
    finally:
        con.close()
    if not found:
        return False
    meta = json.loads(found[0][0])
    return (meta.get("version"), meta.get("cases"), meta.get("months"), meta.get("processors"), meta.get("start"),
            meta.get("seed")) == (VERSION, cases, months, processors, start, seed)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> None:
    """Execute with the parameters the statement names (DuckDB refuses unused ones)."""
    con.execute(sql, {k: v for k, v in params.items() if k in set(_PARAMETER.findall(sql))})


def _weights(kind: str, key: str, weights: dict[str, float]) -> list[dict[str, object]]:
    """Rows of a pick table: each value with the lower bound of its slice of [0, 1)."""
    total, lo, out = sum(weights.values()), 0.0, []
    for value, weight in weights.items():
        out.append({"kind": kind, "key": key, "value": value, "lo": lo})
        lo += weight / total
    return out


def _pick_tables(con: duckdb.DuckDBPyConnection, processors: int) -> None:
    """_picks(kind, key, value, lo): weighted vocabularies, read with ASOF JOIN on a uniform draw >= lo."""
    picks = _weights("type", "", TYPE_WEIGHTS)
    picks += _weights("channel", "weekday", WEEKDAY_CHANNELS) + _weights("channel", "weekend", WEEKEND_CHANNELS)
    for request_type, weights in OUTCOME_WEIGHTS.items():
        picks += _weights("outcome", request_type, weights)
    for request_type, weights in ESCALATE_TO.items():
        picks += _weights("escalate_to", request_type, weights)
    summaries = []
    for p, (_, _, languages, profile) in enumerate(PROCESSORS[:processors]):
        picks += _weights("language", str(p), languages)
        summaries += [{"p": p, "request_type": t, "texts": list(texts)} for t, texts in profile.notes.items()]
    for table, frame in (("_picks", pd.DataFrame(picks)), ("_summaries", pd.DataFrame(summaries))):
        con.register("frame", frame)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM frame")
        finally:
            con.unregister("frame")
    # A uniform draw in [0, 1) per request and purpose; the same (i, salt, seed) always gives the same value.
    con.execute("CREATE OR REPLACE TEMP MACRO u(i, salt, seed) AS hash(i, salt, seed) / 18446744073709551616.0")
    # Saturday and Sunday move to Monday: the processors' own follow-ups happen on working days.
    con.execute("CREATE OR REPLACE TEMP MACRO wd(d) AS "
                "CAST(d + CASE isodow(d) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END AS DATE)")


def _processors(con: duckdb.DuckDBPyConnection, processors: int) -> None:
    """Register the processors (default contract profile) and keep _procs(p, processor_id, prefix)."""
    chosen = PROCESSORS[:processors]
    now = datetime.now(UTC).replace(tzinfo=None)
    for name, *_ in chosen:
        con.execute("INSERT INTO processors (name, created_at) VALUES (?, ?)", [name, now])
    con.register("frame", pd.DataFrame({"p": range(processors), "name": [c[0] for c in chosen],
                                        "prefix": [c[1] for c in chosen]}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _procs AS SELECT f.p, pr.processor_id, f.prefix "
                    "FROM frame f JOIN processors pr USING (name)")
    finally:
        con.unregister("frame")


def _requests(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> None:
    """_requests: one row per request with its full, final history (what the last report listing it says)."""
    _run(con, """
        CREATE OR REPLACE TEMP TABLE _requests AS
        WITH placed AS (
            -- the first processor is the biggest: shares 5:3:1 for three processors
            SELECT i, $procs - 1 - CAST(floor(sqrt(u(i, 1, $seed)) * $procs) AS INTEGER) AS p,
                   CAST($start + to_months(CAST(floor(u(i, 2, $seed) * $months) AS INTEGER)) AS DATE) AS month_start
            FROM range($n) t(i)),
        received AS (
            SELECT i, p, month_start,
                   CAST(month_start + CAST(floor(u(i, 3, $seed) * day(last_day(month_start))) AS INTEGER) AS DATE)
                     AS raw_day
            FROM placed),
        weekdays AS (
            -- fewer requests at the weekend: 60 % of them move to the Friday before (never before the 1st)
            SELECT i, p, month_start,
                   CASE WHEN isodow(raw_day) >= 6 AND u(i, 4, $seed) < 0.6
                        THEN greatest(month_start, CAST(raw_day - CAST(isodow(raw_day) - 5 AS INTEGER) AS DATE))
                        ELSE raw_day END AS received_on
            FROM received),
        typed AS (
            SELECT w.*, t.value AS request_type,
                   CASE WHEN isodow(w.received_on) >= 6 THEN 'weekend' ELSE 'weekday' END AS day_kind
            FROM weekdays w
            ASOF JOIN (SELECT value, lo FROM _picks WHERE kind = 'type') t ON u(w.i, 5, $seed) >= t.lo),
        drawn AS (
            SELECT t.*, c.value AS channel, o.value AS drawn_outcome, l.value AS language
            FROM typed t
            ASOF JOIN (SELECT key, value, lo FROM _picks WHERE kind = 'channel') c
                 ON c.key = t.day_kind AND u(t.i, 6, $seed) >= c.lo
            ASOF JOIN (SELECT key, value, lo FROM _picks WHERE kind = 'outcome') o
                 ON o.key = t.request_type AND u(t.i, 7, $seed) >= o.lo
            ASOF JOIN (SELECT CAST(key AS INTEGER) AS p, value, lo FROM _picks WHERE kind = 'language') l
                 ON l.p = t.p AND u(t.i, 8, $seed) >= l.lo),
        flags AS (
            SELECT *,
                   list_contains($handled, request_type) AS at_processor,
                   u(i, 10, $seed) < 0.004 AS stuck,           -- never answered within the horizon
                   u(i, 11, $seed) < 0.03 AS late,             -- answered after the one-month deadline
                   NOT list_contains($handled, request_type)
                     AND u(i, 12, $seed) < 0.02 AS extended,   -- extension notified in the first month
                   u(i, 13, $seed) < 0.0015 AS extended_late,  -- extension notified after the first month
                   list_contains($disclosing, request_type)
                     AND (drawn_outcome = 'identity_not_confirmed'
                          OR u(i, 14, $seed) < CASE request_type WHEN 'portability' THEN 0.5 ELSE 0.25 END)
                     AS asks_id,
                   list_contains($no_id_needed, request_type)
                     AND u(i, 15, $seed) < 0.003 AS asks_id_needlessly
            FROM drawn),
        subjects AS (
            -- 3 % give no customer number; 12 % are returning customers from a pool of one per 25 requests
            SELECT *,
                   CASE WHEN u(i, 20, $seed) < 0.03 THEN NULL
                        WHEN u(i, 21, $seed) < 0.12
                        THEN sha256(concat_ws(':', $seed, p, 'pool',
                                              CAST(floor(u(i, 22, $seed) * greatest(1, $n // 25)) AS BIGINT)))
                        ELSE sha256(concat_ws(':', $seed, p, 'once', i)) END AS data_subject_ref
            FROM flags),
        handled AS (
            SELECT *,
                   CASE WHEN request_type = 'marketing_opt_out' THEN
                        CASE WHEN u(i, 30, $seed) < 0.005 THEN NULL
                             WHEN u(i, 30, $seed) < 0.02 THEN CAST(received_on + 7 + CAST(u(i, 31, $seed) * 8 AS INT)
                                                                AS DATE)
                             ELSE wd(CAST(received_on + CAST(u(i, 31, $seed) * 3 AS INT) AS DATE)) END
                   END AS suppressed_on,
                   CASE WHEN NOT at_processor THEN
                        CASE WHEN u(i, 32, $seed) < 0.005 THEN NULL
                             WHEN u(i, 32, $seed) < 0.025 THEN CAST(received_on + 4 + CAST(u(i, 33, $seed) * 5 AS INT)
                                                                 AS DATE)
                             ELSE wd(CAST(received_on + CAST(u(i, 33, $seed) * 2 AS INT) AS DATE)) END
                   END AS forwarded_on,
                   CASE WHEN asks_id OR asks_id_needlessly THEN
                        CAST(received_on + CASE WHEN u(i, 34, $seed) < 0.01 THEN 6 + CAST(u(i, 35, $seed) * 7 AS INT)
                                                ELSE CAST(u(i, 35, $seed) * 3 AS INT) END AS DATE)
                   END AS id_requested_on
            FROM subjects),
        answered AS (
            SELECT *,
                   CASE WHEN id_requested_on IS NOT NULL AND drawn_outcome <> 'identity_not_confirmed'
                        THEN CAST(id_requested_on + 1 + CAST(u(i, 36, $seed) * 5 AS INT) AS DATE) END AS id_received_on,
                   CASE WHEN extended_late THEN CAST(received_on + 33 + CAST(u(i, 37, $seed) * 8 AS INT) AS DATE)
                        WHEN extended THEN CAST(received_on + 10 + CAST(u(i, 37, $seed) * 18 AS INT) AS DATE)
                   END AS extension_notified_on,
                   CASE WHEN stuck THEN NULL
                        WHEN extended_late THEN CAST(received_on + 45 + CAST(u(i, 38, $seed) * 25 AS INT) AS DATE)
                        WHEN extended THEN CAST(received_on + 35 + CAST(u(i, 38, $seed) * 50 AS INT) AS DATE)
                        WHEN late THEN CAST(received_on + 32 + CAST(u(i, 38, $seed) * 29 AS INT) AS DATE)
                        WHEN request_type = 'marketing_opt_out'
                        THEN CAST(coalesce(suppressed_on, received_on) + CAST(u(i, 38, $seed) * 4 AS INT) AS DATE)
                        WHEN request_type = 'consent_withdrawal'
                        THEN CAST(received_on + CAST(u(i, 38, $seed) * 5 AS INT) AS DATE)
                        WHEN at_processor THEN CAST(received_on + 1 + CAST(u(i, 38, $seed) * 8 AS INT) AS DATE)
                        ELSE CAST(received_on + 6 + CAST(u(i, 38, $seed) * 20 AS INT) AS DATE)
                   END AS drawn_responded_on
            FROM handled)
        SELECT a.i, a.p, a.month_start, a.received_on, a.request_type, a.channel, a.language, a.data_subject_ref,
               a.suppressed_on, a.forwarded_on, a.id_requested_on, a.id_received_on, a.extension_notified_on,
               -- GDPR Art. 12(3): the reasons must be given; 10 % of extensions come without one
               CASE WHEN a.extension_notified_on IS NOT NULL AND u(a.i, 39, $seed) >= 0.1
                    THEN 'Complex request: data in several systems' END AS extension_reason,
               -- the answer waits for the ID document (two days to prepare it)
               CASE WHEN a.id_received_on IS NOT NULL
                    THEN greatest(a.drawn_responded_on, CAST(a.id_received_on + 2 AS DATE))
                    ELSE a.drawn_responded_on END AS responded_on,
               CASE WHEN a.drawn_responded_on IS NULL THEN NULL
                    WHEN a.asks_id AND a.drawn_outcome <> 'identity_not_confirmed' AND u(a.i, 40, $seed) < 0.1
                    THEN 'identity_not_confirmed'
                    ELSE a.drawn_outcome END AS outcome,
               a.stuck
        FROM answered a""", params)
    # What follows from the outcome: identity, escalation, refusal reasons, agent, summary.
    _run(con, """
        CREATE OR REPLACE TEMP TABLE _requests AS
        WITH agents AS (
            SELECT r.*, greatest(12, least(300, $n // ($procs * $months * 100))) AS agent_count
            FROM _requests r),
        outcomes AS (
            SELECT a.* EXCLUDE (id_received_on),
                   CASE WHEN a.outcome = 'identity_not_confirmed' THEN NULL ELSE a.id_received_on END
                     AS id_received_on,
                   CASE WHEN a.id_requested_on IS NOT NULL AND a.outcome = 'identity_not_confirmed' THEN FALSE
                        WHEN list_contains($disclosing, a.request_type)
                        -- GDPR Art. 12(6): 1.5 % of disclosures go out unverified
                        THEN u(a.i, 41, $seed) >= 0.015
                        WHEN u(a.i, 41, $seed) < 0.55 THEN TRUE END AS identity_verified,
                   (list_contains($escalate_types, a.request_type)
                    OR coalesce(list_contains($escalate_outcomes, a.outcome), FALSE)) AS must_escalate,
                   coalesce(list_contains($refusals, a.outcome), FALSE) AS refusal
            FROM agents a)
        SELECT o.*,
               CASE WHEN NOT must_escalate OR u(i, 42, $seed) < 0.01 THEN NULL
                    WHEN u(i, 42, $seed) < 0.03 THEN CAST(received_on + 4 + CAST(u(i, 43, $seed) * 6 AS INT) AS DATE)
                    ELSE wd(CAST(received_on + CAST(u(i, 43, $seed) * 2 AS INT) AS DATE)) END AS escalated_on,
               CASE WHEN refusal AND u(i, 44, $seed) >= 0.05 THEN 'Legal retention duty (accounting records)' END
                 AS refusal_reason,
               CASE WHEN refusal THEN u(i, 45, $seed) >= 0.03 END AS complaint_right_notified,
               printf('AG-%d-%03d', p + 1, CAST(floor(u(i, 46, $seed) * agent_count) AS INTEGER) + 1) AS agent_id,
               s.texts[1 + CAST(floor(u(i, 47, $seed) * len(s.texts)) AS INTEGER)] AS summary
        FROM outcomes o
        JOIN _summaries s USING (p, request_type)""", params)
    _run(con, """
        CREATE OR REPLACE TEMP TABLE _requests AS
        SELECT r.*, CASE WHEN r.escalated_on IS NOT NULL THEN coalesce(e.value, 'legal') END AS escalated_to,
               printf('%s-%s-%05d', pr.prefix, strftime(r.received_on, '%y%m%d'),
                      row_number() OVER (PARTITION BY r.p, r.received_on ORDER BY r.i)) AS case_id
        FROM _requests r
        JOIN _procs pr USING (p)
        ASOF LEFT JOIN (SELECT key, value, lo FROM _picks WHERE kind = 'escalate_to') e
             ON e.key = r.request_type AND u(r.i, 48, $seed) >= e.lo""", params)


def _rows(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> None:
    """_rows: each request once per monthly report that lists it, as known at the end of that month."""
    _run(con, """
        CREATE OR REPLACE TEMP TABLE _rows AS
        WITH spans AS (
            SELECT r.*,
                   datediff('month', $start, r.month_start) AS first_month,
                   CASE WHEN r.responded_on IS NULL THEN $months - 1
                        ELSE least($months - 1, datediff('month', $start, r.responded_on)) END AS last_month
            FROM _requests r),
        dropped AS (
            -- 5 % of the never-answered cases vanish after the report following their receipt
            SELECT * REPLACE (CASE WHEN stuck AND u(i, 60, $seed) < 0.05 THEN least(last_month, first_month + 1)
                                   ELSE last_month END AS last_month)
            FROM spans),
        listed AS (
            SELECT d.*, j, last_day(CAST($start + to_months(CAST(j AS INTEGER)) AS DATE)) AS month_end
            FROM dropped d, unnest(generate_series(d.first_month, d.last_month)) AS g(j)),
        known AS (
            -- the report shows what was known at the end of its month (sample_reports/cases.py `snapshot`)
            SELECT l.*, l.responded_on <= l.month_end AS answered
            FROM listed l)
        SELECT pr.processor_id, strftime(month_end, '%Y-%m') AS period,
               CAST(row_number() OVER (PARTITION BY p, j ORDER BY received_on, i) + 1 AS INTEGER) AS source_row,
               case_id,
               -- 0.5 % of carried-over rows come back with another receipt date (a rewritten history)
               CASE WHEN j > first_month AND j = last_month AND u(i, 61, $seed) < 0.005
                    THEN CAST(received_on - 1 AS DATE) ELSE received_on END AS received_on,
               request_type, channel, data_subject_ref,
               -- while the ID document is awaited the identity is not verified; once it came, it is
               CASE WHEN answered THEN identity_verified
                    WHEN id_received_on <= month_end THEN TRUE
                    WHEN id_requested_on <= month_end THEN FALSE END AS identity_verified,
               CASE WHEN id_requested_on <= month_end THEN id_requested_on END AS id_requested_on,
               CASE WHEN id_received_on <= month_end THEN id_received_on END AS id_received_on,
               CASE WHEN forwarded_on <= month_end THEN forwarded_on END AS forwarded_on,
               CASE WHEN escalated_on <= month_end THEN escalated_on END AS escalated_on,
               CASE WHEN escalated_on <= month_end THEN escalated_to END AS escalated_to,
               CASE WHEN extension_notified_on <= month_end THEN extension_notified_on END AS extension_notified_on,
               CASE WHEN extension_notified_on <= month_end THEN extension_reason END AS extension_reason,
               CASE WHEN answered THEN responded_on END AS responded_on,
               CASE WHEN answered THEN outcome END AS outcome,
               CASE WHEN answered THEN refusal_reason END AS refusal_reason,
               CASE WHEN answered THEN complaint_right_notified END AS complaint_right_notified,
               CASE WHEN suppressed_on <= month_end THEN suppressed_on END AS suppressed_on,
               agent_id, language, summary, CAST(NULL AS JSON) AS extras
        FROM known
        JOIN _procs pr USING (p)""", params)
    # The first processor's roster: every agent's latest GDPR training by the end of each month. Training is
    # renewed every year; one agent in ten renews 3 to 16 weeks late, and one in thirty is missing from the roster.
    _run(con, """
        CREATE OR REPLACE TEMP TABLE _roster AS
        WITH agents AS (
            SELECT DISTINCT agent_id, CAST(split_part(agent_id, '-', 3) AS INTEGER) AS a FROM _rows
            WHERE processor_id = (SELECT processor_id FROM _procs WHERE p = 0)),
        plans AS (
            SELECT agent_id, CAST($start - CAST(floor(u(a, 70, $seed) * 330) AS INTEGER) AS DATE) AS first_trained,
                   CASE WHEN a % 10 = 3 THEN 365 + 21 + CAST(floor(u(a, 72, $seed) * 90) AS INTEGER)
                        ELSE 365 - CAST(floor(u(a, 72, $seed) * 30) AS INTEGER) END AS every_days
            FROM agents
            WHERE a % 30 <> 7),
        months AS (
            SELECT strftime(month_end, '%Y-%m') AS period, month_end
            FROM (SELECT last_day(CAST($start + to_months(CAST(j AS INTEGER)) AS DATE)) AS month_end
                  FROM range($months) t(j)))
        SELECT (SELECT processor_id FROM _procs WHERE p = 0) AS processor_id, m.period,
               CAST(row_number() OVER (PARTITION BY m.period ORDER BY p.agent_id) + 1 AS INTEGER) AS source_row,
               p.agent_id,
               CAST(p.first_trained + CAST(p.every_days * ((m.month_end - p.first_trained) // p.every_days) AS INTEGER)
                    AS DATE)
                 AS trained_on,
               CAST(NULL AS DATE) AS confidentiality_signed_on, CAST(NULL AS JSON) AS extras
        FROM plans p, months m""", params)


def _submissions(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> None:
    """One current cases report per processor and month, with counts as ingest writes them."""
    _run(con, """
        INSERT INTO submissions (processor_id, period, kind, file_name, sha256, format, encoding,
                                 delimiter, sheet, header_row, submitted_on, submitted_on_source, declared_total,
                                 declared_total_source, ingested_at, ingested_by, rows_read, rows_loaded,
                                 rows_quarantined, rows_skipped, counts, extras, notes, status)
        WITH parts AS (
            -- every processor reports every month, even a month without a case
            SELECT pr.processor_id, strftime(CAST($start + to_months(CAST(j AS INTEGER)) AS DATE), '%Y-%m') AS period,
                   0 AS n, 0 AS training
            FROM _procs pr, range($months) t(j)
            UNION ALL
            SELECT processor_id, period, count(*), 0 FROM _rows GROUP BY ALL
            UNION ALL
            SELECT processor_id, period, 0, count(*) FROM _roster GROUP BY ALL),
        reports AS (
            SELECT processor_id, period, sum(n) AS n, sum(training) AS training,
                   hash(processor_id, period, $seed) / 18446744073709551616.0 AS u1,
                   hash(processor_id, period, $seed, 1) / 18446744073709551616.0 AS u2
            FROM parts GROUP BY ALL),
        facts AS (
            SELECT *, training > 0 AS xlsx,
                   -- due on the 10th of the next month (docs/checks.md report_due_day); 5 % arrive 2-10 days late
                   CAST(last_day(CAST(strptime(period, '%Y-%m') AS DATE))
                        + CASE WHEN u1 < 0.05 THEN 12 + CAST(u2 * 9 AS INT) ELSE 2 + CAST(u2 * 8 AS INT) END AS DATE)
                     AS submitted_on,
                   -- the total row: missing in 10 %, off by a few in 3 % (report.totals_mismatch)
                   CASE WHEN u2 < 0.1 THEN NULL WHEN u1 > 0.97 THEN n + 1 + CAST(u2 * 5 AS INT) ELSE n END
                     AS declared_total
            FROM reports)
        SELECT processor_id, period, 'cases',
               printf('bench-%d-%s.%s', processor_id, period, CASE WHEN xlsx THEN 'xlsx' ELSE 'csv' END),
               sha256(printf('bench:%d:%s:%d', processor_id, period, $seed)),
               CASE WHEN xlsx THEN 'xlsx' ELSE 'csv' END, CASE WHEN xlsx THEN NULL ELSE 'utf-8' END,
               CASE WHEN xlsx THEN NULL ELSE ';' END, CASE WHEN xlsx THEN 'Dossiers' END, 1,
               submitted_on, 'argument', declared_total,
               CASE WHEN declared_total IS NOT NULL THEN 'total row' END,
               CAST(submitted_on AS TIMESTAMP) + INTERVAL 9 HOUR, 'bench',
               n + training, n + training, 0, 0,
               CAST(CASE WHEN xlsx
                         THEN json_object('cases', json_object('rows_read', n, 'rows_loaded', n,
                                                               'rows_quarantined', 0, 'rows_skipped', 0,
                                                               'skipped', json_object(),
                                                               'quarantine_reasons', json_object()),
                                          'training', json_object('rows_read', training, 'rows_loaded', training,
                                                                  'rows_quarantined', 0, 'rows_skipped', 0,
                                                                  'skipped', json_object(),
                                                                  'quarantine_reasons', json_object()))
                         ELSE json_object('cases', json_object('rows_read', n, 'rows_loaded', n,
                                                               'rows_quarantined', 0, 'rows_skipped', 0,
                                                               'skipped', json_object(),
                                                               'quarantine_reasons', json_object())) END AS JSON),
               CAST([] AS VARCHAR[]), CAST([] AS VARCHAR[]), 'current'
        FROM facts
        ORDER BY period, processor_id""", params)
