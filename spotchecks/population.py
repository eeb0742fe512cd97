"""The population a sample is drawn from, its key items, and the ranked selection, in DuckDB.

A population is frozen by the reports it came from: the processor's current cases report of each period at the
draw (their submission ids are stored), the filters, its size and fingerprint. Over several periods it is the
union of those reports, a case listed in more than one counting once with its latest period's row (case_id is
unique per processor). Superseded reports stay in the database, so a stored sample can always be recomputed from
exactly the cases it was drawn from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from ingest.vocabulary import VOCABULARIES
from spotchecks.draw import STRATA_COLUMNS, Design, KeyItems, Method, Pick, Stratum
from spotchecks.errors import EmptyPopulation, InvalidArgument, NoCheckRun
from spotchecks.queries import fetch
from vocab.rubric import REFUSAL_OUTCOMES as RUBRIC_REFUSALS
from vocab.severity import NON_CONFORMITIES, stored_words

# docs/sampling.md, Draw: "every refusal", fully or partly, or for identity not confirmed, as the checks count it
# (vocab/rubric.py; issue 14, item 9). Samples drawn before identity_not_confirmed counted stored no outcomes and
# are recomputed with the two outcomes of their time.
REFUSAL_OUTCOMES = RUBRIC_REFUSALS
EARLIER_REFUSAL_OUTCOMES = ("refused", "partially_fulfilled")


@dataclass(frozen=True)
class Filters:
    """Optional restrictions of the population (docs/sampling.md, Draw: request types, outcomes)."""

    request_types: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, values, vocabulary in (("request_type", self.request_types, "request_type"),
                                         ("outcome", self.outcomes, "outcome")):
            unknown = [v for v in values if v not in VOCABULARIES[vocabulary]]
            if unknown:
                raise InvalidArgument(f"Unknown {name} {', '.join(map(repr, unknown))}; the values are "
                                      f"{', '.join(VOCABULARIES[vocabulary])}.")

    def as_dict(self) -> dict[str, list[str]]:
        return {"request_types": sorted(self.request_types), "outcomes": sorted(self.outcomes)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Filters:
        return cls(tuple(data.get("request_types") or ()), tuple(data.get("outcomes") or ()))  # type: ignore[arg-type]

    def describe(self) -> str:
        bits = [f"{label} in {', '.join(values)}" for label, values in
                (("request type", self.request_types), ("outcome", self.outcomes)) if values]
        return "; ".join(bits) or "all cases"


@dataclass(frozen=True)
class Population:
    """The frozen set of cases: which reports (one per period, oldest first), which filters, how many, fingerprint."""

    processor: str
    periods: tuple[str, ...]
    submission_ids: tuple[int, ...]
    filters: Filters
    size: int
    fingerprint: str
    ingested_at: datetime | None = field(default=None, compare=False)  # of the newest report

    @property
    def period(self) -> str:
        """The last period (the one a one-period sample has)."""
        return self.periods[-1]

    @property
    def submission_id(self) -> int:
        """The report of the last period."""
        return self.submission_ids[-1]

    def describe(self) -> str:
        return periods_label(self.periods)


_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def normalize_periods(periods: Iterable[str]) -> tuple[str, ...]:
    """The distinct periods, oldest first; refuse an empty list or a value that is not YYYY-MM."""
    chosen = tuple(sorted({str(p).strip() for p in periods}))
    if not chosen:
        raise InvalidArgument("Give at least one period (YYYY-MM) to draw from.")
    wrong = [p for p in chosen if not _PERIOD.fullmatch(p)]
    if wrong:
        raise InvalidArgument(f"'period' must be a month YYYY-MM, not {', '.join(map(repr, wrong))}.")
    return chosen


def periods_label(periods: Iterable[str]) -> str:
    """'2026-10', or '2026-09, 2026-10' for a population over several periods."""
    return ", ".join(periods)


def _cases(submission_ids: tuple[int, ...]) -> str:
    """The population's cases before filters: one report's rows, or the union of several with each case once."""
    if len(submission_ids) == 1:
        return "(SELECT * FROM cases WHERE submission_id = ($sids::INTEGER[])[1])"
    # docs/sampling.md, Draw: a case in several reports counts once, with its latest period's row ($sids is
    # ordered oldest period first).
    return """(SELECT * FROM cases WHERE list_contains($sids::INTEGER[], submission_id)
               QUALIFY row_number() OVER (PARTITION BY case_id
                                          ORDER BY list_position($sids::INTEGER[], submission_id) DESC) = 1)"""


_WHERE = """(len($types::VARCHAR[]) = 0 OR list_contains($types::VARCHAR[], request_type))
    AND (len($outcomes::VARCHAR[]) = 0 OR list_contains($outcomes::VARCHAR[], outcome))"""


def _params(submission_ids: tuple[int, ...], filters: Filters) -> dict[str, object]:
    return {"sids": list(submission_ids), "types": list(filters.request_types), "outcomes": list(filters.outcomes)}


def current_report(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> tuple[int, datetime] | None:
    """The submission id and ingest time of the processor's current cases report for the period."""
    found = fetch(
        con,
        "SELECT s.submission_id, s.ingested_at FROM submissions s JOIN processors p USING (processor_id) "
        "WHERE p.name = ? AND s.period = ? AND s.status = 'current' AND s.kind = 'cases' "
        "ORDER BY s.submission_id DESC LIMIT 1",
        [processor, period],
    )
    return (found[0]["submission_id"], found[0]["ingested_at"]) if found else None  # type: ignore[return-value]


def of_reports(con: duckdb.DuckDBPyConnection, processor: str, periods: Iterable[str], submission_ids: Iterable[int],
               filters: Filters, ingested_at: datetime | None = None) -> Population:
    """Size and fingerprint of the reports' cases under the filters (SQL twin of draw.fingerprint)."""
    chosen, sids = tuple(periods), tuple(int(s) for s in submission_ids)
    [row] = fetch(con, f"SELECT count(*) AS size, sha256(coalesce(string_agg(case_id, chr(10) ORDER BY case_id), "
                       f"'')) AS fingerprint FROM {_cases(sids)} AS c WHERE {_WHERE}", _params(sids, filters))
    return Population(processor, chosen, sids, filters, int(row["size"]),  # type: ignore[arg-type]
                      str(row["fingerprint"]), ingested_at)


def of_report(con: duckdb.DuckDBPyConnection, processor: str, period: str, submission_id: int,
              filters: Filters, ingested_at: datetime | None = None) -> Population:
    """Size and fingerprint of one report's cases under the filters."""
    return of_reports(con, processor, (period,), (submission_id,), filters, ingested_at)


def freeze(con: duckdb.DuckDBPyConnection, processor: str, period: str | Iterable[str],
           filters: Filters = Filters()) -> Population:
    """The population of the processor's current reports for the period(s); refuse when there are no cases."""
    periods = normalize_periods([period] if isinstance(period, str) else period)
    reports = {p: current_report(con, processor, p) for p in periods}
    missing = [p for p, report in reports.items() if report is None]
    if missing:
        raise EmptyPopulation(f"There is no current report of {processor} for {periods_label(missing)} to draw from. "
                              "Ingest the report first (Reports page, or `oversight ingest`), or pick another period.")
    found = [r for r in reports.values() if r is not None]
    population = of_reports(con, processor, periods, [r[0] for r in found], filters, max(r[1] for r in found))
    if population.size == 0:
        what = "report" if len(periods) == 1 else "reports"
        raise EmptyPopulation(f"The {what} of {processor} for {periods_label(periods)} has no cases with "
                              f"{filters.describe()}. Loosen the filters, or pick another period.")
    return population


def latest_run_ids(con: duckdb.DuckDBPyConnection, processor: str, period: str | Iterable[str]) -> list[int]:
    """The check runs whose results are the latest for the processor and period(s) (one per check and period)."""
    periods = [period] if isinstance(period, str) else list(period)
    return [r["run_id"] for r in fetch(  # type: ignore[misc]
        con, "SELECT DISTINCT run_id FROM latest_check_results WHERE processor = ? "
             "AND list_contains(?::VARCHAR[], period) ORDER BY run_id", [processor, periods])]


def key_item_ids(con: duckdb.DuckDBPyConnection, population: Population, rule: KeyItems | None,
                 run_ids: Iterable[int] | None = None,
                 refusal_outcomes: Iterable[str] = REFUSAL_OUTCOMES) -> tuple[list[str], list[int]]:
    """The key items of the population, and (for `major`) the check runs they came from.

    major: every case of the population with a critical or major exception (a non-conformity) in the latest check
    results of any of its periods; given `run_ids`, the latest results among those runs only, which is what they were
    when the sample was drawn. Every period needs a check run: without one, its non-conformities would silently be
    missing. An older run's "breach" is read as major (vocab/severity.py).
    refusals: every case whose outcome is refused or partially_fulfilled.
    """
    params = _params(population.submission_ids, population.filters)
    source = _cases(population.submission_ids)
    if rule is None:
        return [], []
    if rule is KeyItems.refusals:
        found = fetch(con, f"SELECT case_id FROM {source} AS c WHERE {_WHERE} "
                           "AND list_contains($refusals::VARCHAR[], outcome) ORDER BY case_id",
                      {**params, "refusals": list(refusal_outcomes)})
        return [str(r["case_id"]) for r in found], []
    if run_ids is not None:
        runs = list(run_ids)
    else:
        unchecked = [p for p in population.periods if not latest_run_ids(con, population.processor, p)]
        if unchecked:
            raise NoCheckRun(population.processor, periods_label(unchecked))
        runs = latest_run_ids(con, population.processor, population.periods)
    if not runs:
        raise NoCheckRun(population.processor, population.describe())
    found = fetch(
        con,
        f"""WITH results AS (
                SELECT run_id, check_id, period FROM check_results
                WHERE processor = $processor AND list_contains($periods::VARCHAR[], period)
                  AND list_contains($runs::INTEGER[], run_id)
                QUALIFY row_number() OVER (PARTITION BY period, check_id ORDER BY run_id DESC) = 1)
            SELECT DISTINCT e.case_id FROM exceptions e JOIN results USING (run_id, check_id, period)
            WHERE e.processor = $processor AND list_contains($severities::VARCHAR[], e.severity)
              AND e.case_id IN (SELECT case_id FROM {source} AS c WHERE {_WHERE})
            ORDER BY e.case_id""",
        {**params, "processor": population.processor, "periods": list(population.periods), "runs": runs,
         "severities": stored_words(NON_CONFORMITIES)},
    )
    return [str(r["case_id"]) for r in found], runs


def _stratum_sql(design: Design) -> str:
    if design.method is Method.random:
        return "NULL::VARCHAR"
    if design.by not in STRATA_COLUMNS:
        raise InvalidArgument(f"'by' must be one of {', '.join(STRATA_COLUMNS)}, not '{design.by}'.")
    return f'"{design.by}"'  # one of the fixed column names above, never user text


def stratum_sizes(con: duckdb.DuckDBPyConnection, population: Population, design: Design,
                  key_ids: list[str]) -> dict[Stratum, int]:
    """The number of cases per stratum in the population without its key items."""
    found = fetch(con, f"SELECT {_stratum_sql(design)} AS stratum, count(*) AS n "
                       f"FROM {_cases(population.submission_ids)} AS c WHERE {_WHERE} "
                       "AND case_id NOT IN (SELECT unnest($keys::VARCHAR[])) GROUP BY ALL",
                  {**_params(population.submission_ids, population.filters), "keys": key_ids})
    return {r["stratum"]: int(r["n"]) for r in found}  # type: ignore[misc]


def ranked_selection(con: duckdb.DuckDBPyConnection, population: Population, seed: str, design: Design,
                     allocation: Mapping[Stratum, int], key_ids: list[str],
                     excluded: Iterable[str] = ()) -> list[Pick]:
    """The random part in SQL: per stratum the lowest sha256(seed ‖ 0x1F ‖ case_id), as draw.select does."""
    params = {**_params(population.submission_ids, population.filters), "seed": seed, "keys": key_ids,
              "excluded": list(excluded)}
    ranked = f"""SELECT case_id, {_stratum_sql(design)} AS stratum, sha256($seed || chr(31) || case_id) AS rank
                 FROM {_cases(population.submission_ids)} AS c
                 WHERE {_WHERE} AND case_id NOT IN (SELECT unnest($keys::VARCHAR[]))
                   AND case_id NOT IN (SELECT unnest($excluded::VARCHAR[]))"""
    if design.method is Method.random:
        found = fetch(con, f"SELECT * FROM ({ranked}) ORDER BY rank, case_id LIMIT $n",
                      {**params, "n": allocation.get(None, 0)})
    else:
        strata = list(allocation)
        found = fetch(con, f"""WITH ranked AS ({ranked}),
                                    quota AS (SELECT unnest($strata::VARCHAR[]) AS stratum, unnest($counts) AS n)
                               SELECT r.case_id, r.stratum, r.rank FROM ranked r
                               JOIN quota q ON r.stratum IS NOT DISTINCT FROM q.stratum
                               QUALIFY row_number() OVER (PARTITION BY r.stratum ORDER BY r.rank, r.case_id) <= q.n
                               ORDER BY r.rank, r.case_id""",
                      {**params, "strata": strata, "counts": [allocation[s] for s in strata]})
    return [Pick(str(r["case_id"]), r["stratum"], str(r["rank"])) for r in found]  # type: ignore[arg-type]


def next_in_rank(con: duckdb.DuckDBPyConnection, population: Population, seed: str, design: Design,
                 stratum: Stratum, key_ids: list[str], taken: Iterable[str]) -> Pick | None:
    """The lowest-ranked case of the stratum that has not been in the sample: the replacement."""
    found = fetch(
        con,
        f"""SELECT * FROM (SELECT case_id, {_stratum_sql(design)} AS stratum,
                                  sha256($seed || chr(31) || case_id) AS rank
                           FROM {_cases(population.submission_ids)} AS c WHERE {_WHERE}
                             AND case_id NOT IN (SELECT unnest($keys::VARCHAR[]))
                             AND case_id NOT IN (SELECT unnest($taken::VARCHAR[])))
            WHERE stratum IS NOT DISTINCT FROM $stratum ORDER BY rank, case_id LIMIT 1""",
        {**_params(population.submission_ids, population.filters), "seed": seed, "keys": key_ids,
         "taken": list(taken), "stratum": stratum},
    )
    return Pick(str(found[0]["case_id"]), found[0]["stratum"], str(found[0]["rank"])) if found else None  # type: ignore[arg-type]


def cases_with_strata(con: duckdb.DuckDBPyConnection, population: Population, design: Design,
                      key_ids: list[str]) -> list[tuple[str, Stratum]]:
    """(case_id, stratum) of the population without key items: the input of the Python reference draw.select."""
    found = con.execute(f"SELECT case_id, {_stratum_sql(design)} FROM {_cases(population.submission_ids)} AS c "
                        f"WHERE {_WHERE} AND case_id NOT IN (SELECT unnest($keys::VARCHAR[]))",
                        {**_params(population.submission_ids, population.filters), "keys": key_ids}).fetchall()
    return [(str(case_id), stratum) for case_id, stratum in found]
