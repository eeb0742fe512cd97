"""The pack's Samples sheet: the month's spot-check samples with seeds, fingerprints, reviews and evaluation."""

from __future__ import annotations

import duckdb

from exports.scope import Scope
from exports.xlsx import Section, Sheet
from spotchecks.evaluate import evaluate_sample
from spotchecks.queries import answers, get_sample, list_samples, sample_items
from spotchecks.seeds import check_seed
from store.db import rows

SAMPLE_COLUMNS = ["sample_id", "method", "stratify_by", "allocation", "per_stratum", "key_items", "requested_n",
                  "random_items", "key_item_cases", "replacements", "population_size", "fingerprint", "seed",
                  "seed_status", "seed_reused_with", "seed_reuse_reason", "commitment", "filters", "submission_id",
                  "rubric_version", "drawn_at", "drawn_by", "notes"]
ITEM_COLUMNS = ["sample_id", "case_id", "part", "position", "stratum", "round", "replaces", "status", "replaced_by",
                "replaced_because", "request_type", "received_on", "responded_on", "outcome", "agent_id",
                "answers", "deviations"]
REVIEW_COLUMNS = ["sample_id", "case_id", "item_id", "answer", "comment", "cause", "reviewer", "reviewed_at",
                  "rubric_version"]
CAUSE_COLUMNS = ["sample_id", "cause", "deviations"]
AGREEMENT_COLUMNS = ["sample_id", "item", "cases", "agreement", "kappa", "note"]
CONCLUSION_COLUMNS = ["sample_id", "model", "confidence", "population_size", "sample_size", "cases_reviewed",
                      "key_items_total", "key_items_reviewed", "top_ups", "replacements", "verdict", "deciding_items",
                      "conclusion", "notes"]
EVALUATION_COLUMNS = ["sample_id", "item", "clause", "population", "key_population", "applicable", "reviewed",
                      "deviations", "upper_limit", "tolerable", "conclusion", "more_needed", "text",
                      "deviation_case_ids", "not_applicable_case_ids"]
NO_SAMPLE = "No sample was drawn from this month's cases."


def month_samples(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """Return the samples drawn from the month's cases, by id: the stored sample with its item counts."""
    counts = sorted(list_samples(con, scope.processor, scope.period), key=lambda s: str(s["sample_id"]))
    out = []
    for c in counts:
        seed = check_seed(con, str(c["sample_id"]))
        out.append({**get_sample(con, str(c["sample_id"])), "random_items": c["random_items"],
                    "key_item_cases": c["key_items_count"], "replacements": c["replacements"],
                    "seed_status": seed.status.value + (" (marked)" if seed.marked else ""),
                    "seed_reused_with": ", ".join(seed.reused_with)})
    return out


DRAW_COLUMNS = ["sample_id", "round", "what", "cases", "at", "by", "seed", "seed_status"]


def _draws(con: duckdb.DuckDBPyConnection, samples: list[dict[str, object]]) -> list[list[object]]:
    """Every draw of the month's samples: the draw itself, each enlargement, replacement and top-up (issue 14,
    item 6: every draw of the month, not only the last)."""
    out: list[list[object]] = []
    for s in samples:
        found = rows(con, """SELECT round, min(added_at) AS at, any_value(added_by) AS by, count(*) AS cases,
                                    string_agg(DISTINCT part, ', ') AS parts, bool_or(replaces IS NOT NULL) AS replacing
                             FROM sample_items WHERE sample_id = $s AND part <> 'top_up' GROUP BY round
                             UNION ALL
                             SELECT round, min(drawn_at), any_value(drawn_by), count(*), 'top-up: ' || item_id, false
                             FROM sample_top_ups WHERE sample_id = $s GROUP BY round, item_id
                             ORDER BY round""", {"s": s["sample_id"]})
        for r in found:
            what = ("draw" if r["round"] == 1 else "replacement" if r["replacing"] else
                    str(r["parts"]) if str(r["parts"]).startswith("top-up") else "enlargement")
            out.append([s["sample_id"], r["round"], what, r["cases"], r["at"], r["by"], s["seed"], s["seed_status"]])
    return out


def _items(con: duckdb.DuckDBPyConnection, sample: dict[str, object]) -> list[dict[str, object]]:
    """The sample's cases in order, with review progress and their facts from the report the sample was drawn from."""
    items = sample_items(con, str(sample["sample_id"]))
    # A sample may span several months: each case's facts come from the latest of its reports that lists it.
    facts = {r["case_id"]: r for r in rows(
        con, "SELECT c.case_id, c.request_type, c.received_on, c.responded_on, c.outcome, c.agent_id FROM cases c "
             "JOIN submissions s USING (submission_id) "
             "WHERE list_contains($submissions, c.submission_id) AND list_contains($ids, c.case_id) "
             "QUALIFY row_number() OVER (PARTITION BY c.case_id ORDER BY s.period DESC) = 1",
        {"submissions": list(sample.get("submission_ids") or [sample["submission_id"]]),
         "ids": [i["case_id"] for i in items]})}
    return [{**facts.get(i["case_id"], {}), **i, "sample_id": sample["sample_id"], "answers": i["answered"]}
            for i in items]


def _answers(con: duckdb.DuckDBPyConnection, sample_id: str) -> list[dict[str, object]]:
    return [{**a, "sample_id": sample_id} for a in answers(con, sample_id)]


def _evaluations(con: duckdb.DuckDBPyConnection, ids: list[str]
                 ) -> tuple[list[list[object]], list[list[object]], list[list[object]], list[list[object]]]:
    """Return the evaluation's conclusions, its rows per rubric item, its deviations by cause and the second
    review's agreement (read-only)."""
    conclusions, items, causes, agreed = [], [], [], []
    for sample_id in ids:
        e = evaluate_sample(con, sample_id)
        conclusions.append([e.sample_id, e.model, e.confidence, e.population_size, e.sample_size,
                            e.cases_reviewed, e.key_items_total, e.key_items_reviewed, e.top_ups, e.replacements,
                            e.verdict, ", ".join(e.deciding_items), e.conclusion, " ".join(e.notes)])
        items += [[e.sample_id, r.item, r.clause, r.population, r.key_population, r.applicable, r.reviewed,
                   r.deviations, _ratio(r.upper_limit), r.tolerable, r.conclusion, r.more_needed, r.text,
                   ", ".join(r.deviation_case_ids), ", ".join(r.not_applicable_case_ids)] for r in e.items]
        causes += [[e.sample_id, cause, n] for cause, n in e.deviations_by_cause.items() if n]
        agreed += [[e.sample_id, a["item"], a["cases"], a["agreement"], a["kappa"], a["note"]] for a in e.agreement]
    return conclusions, items, causes, agreed


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def samples_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """The samples drawn from the month's cases, how they were drawn, what was reviewed and what it concludes."""
    samples = month_samples(con, scope)
    ids = [str(s["sample_id"]) for s in samples]
    body = [["; ".join(s["notes"] or []) if c == "notes" else s[c] for c in SAMPLE_COLUMNS] for s in samples]
    items = [i for s in samples for i in _items(con, s)]
    reviews = [a for sample_id in ids for a in _answers(con, sample_id)]
    conclusions, evaluation, causes, agreed = _evaluations(con, ids)
    return Sheet("Samples", f"Spot checks — {scope.processor}, {scope.period}", sections=[
        Section("Samples", SAMPLE_COLUMNS, body, empty=NO_SAMPLE,
                note="Each case's rank is SHA-256(seed, case id): the same seed and population (fingerprint = "
                     "SHA-256 of the sorted case ids) give the same sample; `oversight sample verify` re-derives it."),
        Section("Draws", DRAW_COLUMNS, _draws(con, samples), empty=NO_SAMPLE,
                note="Every draw of the month's samples: the draw, each enlargement, replacement and top-up, with "
                     "the seed and whether it was committed before the report arrived or used for another "
                     "population (marked)."),
        Section("Sampled cases", ITEM_COLUMNS, [[i[c] for c in ITEM_COLUMNS] for i in items], empty=NO_SAMPLE),
        Section("Review answers", REVIEW_COLUMNS, [[r[c] for c in REVIEW_COLUMNS] for r in reviews],
                empty="No review recorded yet." if ids else NO_SAMPLE),
        Section("Evaluation", CONCLUSION_COLUMNS, conclusions, empty=NO_SAMPLE),
        Section("Evaluation per rubric item", EVALUATION_COLUMNS, evaluation, empty=NO_SAMPLE,
                note="Per item, over the cases it applies to: upper limit = (key items' deviations + the random "
                     "sample's one-sided upper limit × the item's cases outside the key items) / its cases "
                     "(docs/sampling.md §4); key items are a census."),
        Section("Second review", AGREEMENT_COLUMNS, agreed,
                empty="No case reviewed twice." if ids else NO_SAMPLE,
                note="Another auditor's independent answers for some cases: the share answered alike and Cohen's "
                     "kappa (agreement beyond chance; undefined when both always gave one and the same answer)."),
        Section("Deviations by cause", CAUSE_COLUMNS, causes, empty="No deviation." if ids else NO_SAMPLE,
                note="ISA 530 ¶12: the cause a reviewer recorded with each \"no\"; unable: the case could not be "
                     "tested; not stated: a \"no\" recorded without its cause."),
    ])
