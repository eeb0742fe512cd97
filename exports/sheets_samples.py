"""The pack's Samples sheet: the month's spot-check samples with seeds, fingerprints, reviews and evaluation."""

from __future__ import annotations

import json

import duckdb

from exports.scope import Scope, table_exists
from exports.xlsx import Section, Sheet
from store.db import rows

SAMPLE_COLUMNS = ["sample_id", "method", "stratify_by", "allocation", "per_stratum", "key_items", "requested_n",
                  "random_items", "key_item_cases", "replacements", "population_size", "fingerprint", "seed",
                  "commitment", "filters", "submission_id", "rubric_version", "drawn_at", "drawn_by", "notes"]
ITEM_COLUMNS = ["sample_id", "case_id", "part", "position", "stratum", "round", "replaces", "status", "replaced_by",
                "replaced_because", "request_type", "received_on", "responded_on", "outcome", "agent_id",
                "answers", "deviations"]
REVIEW_COLUMNS = ["sample_id", "case_id", "item_id", "answer", "comment", "reviewer", "reviewed_at", "rubric_version"]
CONCLUSION_COLUMNS = ["sample_id", "model", "confidence", "tolerable", "population_size", "sample_size",
                      "cases_reviewed", "key_items_total", "key_items_reviewed", "replacements", "relied_on",
                      "conclusion", "notes"]
EVALUATION_COLUMNS = ["sample_id", "part", "item_id", "clause", "n", "k", "not_applicable", "rate", "upper_limit",
                      "conclusion", "text", "deviating_cases"]
NO_MODULE = "Spot checks are not set up in this database yet (they come with the spot-check module)."
NO_SAMPLE = "No sample was drawn from this month's cases."
TABLES = ("samples", "active_sample_items", "sample_replacements", "current_reviews")


def samples_ready(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the spot-check tables (migration 3) exist."""
    return all(table_exists(con, t) for t in TABLES)


def month_samples(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """Return the samples drawn from the month's cases, by id, with their item counts."""
    if not samples_ready(con):
        return []
    return rows(con, """
        SELECT s.*, CAST(s.filters AS VARCHAR) AS filters,
               (SELECT count(*) FROM active_sample_items i WHERE i.sample_id = s.sample_id AND i.part = 'random')
                   AS random_items,
               (SELECT count(*) FROM active_sample_items i WHERE i.sample_id = s.sample_id AND i.part = 'key_item')
                   AS key_item_cases,
               (SELECT count(*) FROM sample_replacements r WHERE r.sample_id = s.sample_id) AS replacements
        FROM samples s WHERE s.processor = $processor AND s.period = $period ORDER BY s.sample_id""",
                {"processor": scope.processor, "period": scope.period})


def review_answers(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """Return the current yes/no answers on the active cases of the month's samples ("na" evidences nothing)."""
    if not samples_ready(con):
        return []
    return rows(con, """
        SELECT r.sample_id, r.case_id, r.item_id AS item, r.answer
        FROM current_reviews r
        JOIN active_sample_items i USING (sample_id, case_id)
        JOIN samples s USING (sample_id)
        WHERE s.processor = $processor AND s.period = $period AND r.answer IN ('yes', 'no')
        ORDER BY r.sample_id, r.case_id, r.item_id""", {"processor": scope.processor, "period": scope.period})


def _items(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[dict[str, object]]:
    # The case facts come from the report the sample was drawn from (its frozen population).
    return rows(con, """
        WITH answered AS (
            SELECT sample_id, case_id, count(*) AS answers, count(*) FILTER (WHERE answer = 'no') AS deviations
            FROM current_reviews GROUP BY ALL)
        SELECT i.sample_id, i.case_id, i.part, i.position, i.stratum, i.round, i.replaces,
               CASE WHEN r.case_id IS NULL THEN 'active' ELSE 'replaced' END AS status,
               r.replacement AS replaced_by, r.reason AS replaced_because,
               c.request_type, c.received_on, c.responded_on, c.outcome, c.agent_id,
               coalesce(a.answers, 0) AS answers, coalesce(a.deviations, 0) AS deviations
        FROM sample_items i
        JOIN samples s USING (sample_id)
        LEFT JOIN sample_replacements r ON r.sample_id = i.sample_id AND r.case_id = i.case_id
        LEFT JOIN answered a ON a.sample_id = i.sample_id AND a.case_id = i.case_id
        LEFT JOIN cases c ON c.submission_id = s.submission_id AND c.case_id = i.case_id
        WHERE list_contains($ids, i.sample_id)
        ORDER BY i.sample_id, i.part DESC, i.position, i.case_id""", {"ids": ids})


def _evaluations(con: duckdb.DuckDBPyConnection, ids: list[str]) -> tuple[list[list[object]], list[list[object]],
                                                                           str | None]:
    """Return (conclusions, per-item rows, why not) from the spot-check module's evaluation."""
    try:
        from spotchecks.evaluate import evaluate_sample
    except ImportError:
        return [], [], "The evaluation is not available in this version (it comes with the spot-check module)."
    conclusions, items = [], []
    for sample_id in ids:
        e = evaluate_sample(con, sample_id)
        conclusions.append([e.sample_id, e.model, e.confidence, e.tolerable, e.population_size, e.sample_size,
                            e.cases_reviewed, e.key_items_total, e.key_items_reviewed, e.replacements,
                            "yes" if e.relied_on else "no", e.conclusion, " ".join(e.notes)])
        items += [[e.sample_id, "random", r.item_id, r.clause, r.n, r.k, r.not_applicable, _ratio(r.rate),
                   _ratio(r.upper_limit), r.conclusion, r.text, ", ".join(r.deviations)] for r in e.items]
        items += [[e.sample_id, "key items (census)", k.item_id, k.clause, k.n, k.k, None, None, None,
                   "census", "", ", ".join(k.deviations)] for k in e.key_items]
    return conclusions, items, None


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def samples_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """The samples drawn from the month's cases, how they were drawn, what was reviewed and what it concludes."""
    title = f"Spot checks — {scope.processor}, {scope.period}"
    if not samples_ready(con):
        return Sheet("Samples", title, sections=[Section("Samples", SAMPLE_COLUMNS, [], empty=NO_MODULE)])
    samples = month_samples(con, scope)
    ids = [str(s["sample_id"]) for s in samples]
    body = [[json.loads(str(s["filters"])) if c == "filters" else "; ".join(s["notes"] or []) if c == "notes"
             else s[c] for c in SAMPLE_COLUMNS] for s in samples]
    items = _items(con, ids) if ids else []
    reviews = rows(con, "SELECT * FROM current_reviews WHERE list_contains($ids, sample_id) "
                        "ORDER BY sample_id, case_id, item_id", {"ids": ids}) if ids else []
    conclusions, evaluation, why = _evaluations(con, ids) if ids else ([], [], None)
    return Sheet("Samples", title, sections=[
        Section("Samples", SAMPLE_COLUMNS, body, empty=NO_SAMPLE,
                note="Each case's rank is SHA-256(seed, case id): the same seed and population (fingerprint = "
                     "SHA-256 of the sorted case ids) give the same sample; `oversight sample verify` re-derives it."),
        Section("Sampled cases", ITEM_COLUMNS, [[i[c] for c in ITEM_COLUMNS] for i in items], empty=NO_SAMPLE),
        Section("Review answers", REVIEW_COLUMNS, [[r[c] for c in REVIEW_COLUMNS] for r in reviews],
                empty="No review recorded yet." if ids else NO_SAMPLE),
        Section("Evaluation", CONCLUSION_COLUMNS, conclusions, empty=why or NO_SAMPLE),
        Section("Evaluation per rubric item", EVALUATION_COLUMNS, evaluation, empty=why or NO_SAMPLE,
                note="Upper limit: one-sided upper deviation limit at the plan's confidence; key items are a census."),
    ])
