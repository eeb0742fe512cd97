"""Which rubric items apply to which cases, from the case's facts (issue 14, item 1; docs/sampling.md §3).

Each rubric item declares its condition in vocab/rubric.py (`RubricItem.applies`, SQL over one row of `cases`), with
the processor's contract profile supplying the lists it names (`verify_identity_types`, `escalate_request_types`,
`escalate_outcomes`). Here the conditions run: for the cases of a sample (the review form asks only what applies;
evaluate counts only applicable cases) and over a population (each item's sub-population: its size N for the
evaluation, its cases for a top-up draw).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from spotchecks import population as pop
from spotchecks.queries import fetch, get_sample
from vocab.rubric import RUBRIC, RUBRICS, RubricItem

PROFILE_LISTS = ("verify_identity_types", "escalate_request_types", "escalate_outcomes")


def bindings(con: duckdb.DuckDBPyConnection, processor: str) -> dict[str, list[str]]:
    """The profile's lists the conditions name, as bind parameters."""
    from checks.contract import profile_for_processor

    parameters = profile_for_processor(con, processor).parameters
    return {name: list(getattr(parameters, name)) for name in PROFILE_LISTS}


def used(sql: str, lists: dict[str, list[str]]) -> dict[str, list[str]]:
    """The profile lists a statement names (DuckDB refuses named parameters a statement does not use)."""
    return {name: value for name, value in lists.items() if f"${name}" in sql}


def pairs_sql(source: str, rubric: Iterable[RubricItem] = RUBRIC) -> str:
    """(case_id, item_id) for every case of `source` (a subquery over `cases` rows) and every item applying to it."""
    # item.id and item.applies are declared in vocab/rubric.py, never user text.
    return " UNION ALL ".join(f"SELECT case_id, '{item.id}' AS item_id FROM {source} AS c WHERE ({item.applies})"
                              for item in rubric)


def for_sample(con: duckdb.DuckDBPyConnection, sample_id: str,
               case_ids: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Case id → the rubric items that apply to it, for the sample's cases (or the ones given), from the report(s)
    the sample was drawn from (each case's latest period's row)."""
    sample = get_sample(con, sample_id)
    rubric = RUBRICS[str(sample["rubric_version"])]
    sids = tuple(int(s) for s in sample["submission_ids"])  # type: ignore[attr-defined]
    wanted = list(case_ids) if case_ids is not None else [
        str(r["case_id"]) for r in fetch(con, "SELECT case_id FROM sample_items WHERE sample_id = ?", [sample_id])]
    source = f"(SELECT * FROM {pop._cases(sids)} AS a WHERE list_contains($wanted::VARCHAR[], case_id))"
    found = fetch(con, pairs_sql(source, rubric),
                  {"sids": list(sids), "wanted": wanted, **bindings(con, str(sample["processor"]))})
    out: dict[str, set[str]] = {case_id: set() for case_id in wanted}
    for row in found:
        out.setdefault(str(row["case_id"]), set()).add(str(row["item_id"]))
    # A top-up case counts only for the item(s) it was drawn for (docs/sampling.md §2, "Top-up").
    drawn_for: dict[str, set[str]] = {}
    for row in fetch(con, "SELECT t.case_id, t.item_id FROM sample_top_ups t JOIN sample_items i USING (sample_id, "
                          "case_id) WHERE t.sample_id = ? AND i.part = 'top_up'", [sample_id]):
        drawn_for.setdefault(str(row["case_id"]), set()).add(str(row["item_id"]))
    for case_id, items in drawn_for.items():
        if case_id in out:
            out[case_id] &= items
    order = [item.id for item in rubric]
    return {case_id: tuple(sorted(items, key=order.index)) for case_id, items in out.items()}


def ordered(items: Iterable[str]) -> list[str]:
    """Rubric item ids in the rubric's order."""
    order = [item.id for item in RUBRIC]
    return sorted(items, key=order.index)


def population_counts(con: duckdb.DuckDBPyConnection, population: pop.Population, processor: str,
                      key_ids: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Per rubric item, how many cases of the population it applies to: outside the key items, and among them."""
    keys = list(key_ids)
    source = f"(SELECT * FROM {pop._cases(population.submission_ids)} AS b WHERE {pop._WHERE})"
    found = fetch(con, f"SELECT item_id, count(*) FILTER (WHERE NOT list_contains($keys::VARCHAR[], case_id)) AS "
                       f"outside, count(*) FILTER (WHERE list_contains($keys::VARCHAR[], case_id)) AS inside "
                       f"FROM ({pairs_sql(source)}) GROUP BY item_id",
                  {**pop._params(population.submission_ids, population.filters), "keys": keys,
                   **bindings(con, processor)})
    outside = {item.id: 0 for item in RUBRIC}
    inside = dict(outside)
    for row in found:
        outside[str(row["item_id"])] = int(row["outside"])  # type: ignore[call-overload]
        inside[str(row["item_id"])] = int(row["inside"])  # type: ignore[call-overload]
    return outside, inside


def stratum_counts(con: duckdb.DuckDBPyConnection, population: pop.Population, processor: str,
                   key_ids: Iterable[str], design: pop.Design) -> dict[str, dict[str | None, int]]:
    """Per rubric item and stratum, how many cases outside the key items it applies to (the N_h of each stratum)."""
    source = (f"(SELECT *, {pop._stratum_sql(design)} AS stratum_ FROM {pop._cases(population.submission_ids)} AS b "
              f"WHERE {pop._WHERE} AND NOT list_contains($keys::VARCHAR[], case_id))")
    pairs = " UNION ALL ".join(f"SELECT stratum_, '{item.id}' AS item_id FROM {source} AS c WHERE ({item.applies})"
                               for item in RUBRIC)
    found = fetch(con, f"SELECT item_id, stratum_ AS stratum, count(*) AS n FROM ({pairs}) GROUP BY ALL",
                  {**pop._params(population.submission_ids, population.filters), "keys": list(key_ids),
                   **bindings(con, processor)})
    out: dict[str, dict[str | None, int]] = {item.id: {} for item in RUBRIC}
    for row in found:
        out[str(row["item_id"])][row["stratum"]] = int(row["n"])  # type: ignore[index, call-overload]
    return out
