"""Verify: recompute a stored sample in Python from its seed and population, and say whether it matches.

The draw ranks in SQL; this recomputation uses the pure reference (draw.rank, draw.fingerprint, draw.select) on
the cases of the report(s) the sample was drawn from, and also checks that each is still its period's current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from spotchecks import population as pop
from spotchecks.draw import fingerprint, select
from spotchecks.samples import load
from spotchecks.topup import next_cases, stored_top_ups


@dataclass(frozen=True)
class Verification:
    """Whether a stored sample is what its seed and population give, and what differs if not."""

    sample_id: str
    matches: bool
    reproduced: bool  # recomputing from the drawn-from report gives the stored cases and ranks
    fingerprint_stored: str
    fingerprint_recomputed: str  # of the drawn-from report's cases now
    fingerprint_current: str | None  # of the current reports' cases for the periods (None: a period has none)
    population_size_stored: int
    population_size_current: int | None
    missing: tuple[str, ...] = ()  # stored but not recomputed
    unexpected: tuple[str, ...] = ()  # recomputed but not stored
    key_items_match: bool = True
    problems: tuple[str, ...] = field(default=())
    # The drawn-from report's case rows were removed under the retention period (issue 17): the draw cannot be
    # recomputed any more, and that is not a sign that anything was changed. The day of the purge, else None.
    purged_on: str | None = None

    def as_dict(self) -> dict[str, object]:
        doc = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in doc.items()}


def _purged_on(con: duckdb.DuckDBPyConnection, submission_ids: object) -> str | None:
    """The day the retention period removed the case rows of any of these submissions (None: none was purged)."""
    found = con.execute("SELECT min(purged_at) FROM submissions WHERE list_contains(?, submission_id)",
                        [list(submission_ids)]).fetchall()  # type: ignore[call-overload]
    return found[0][0].date().isoformat() if found and found[0][0] is not None else None


def verify_sample(con: duckdb.DuckDBPyConnection, sample_id: str) -> Verification:
    """Recompute the sample: population fingerprint, key items, and every case of the random part with its rank."""
    stored = load(con, sample_id)
    sample = stored.sample
    purged = _purged_on(con, stored.population.submission_ids)
    if purged is not None:
        return Verification(
            sample_id, False, False, str(sample["fingerprint"]), "", None, int(sample["population_size"]),  # type: ignore[call-overload]
            None, problems=(f"The cases of the report it was drawn from were removed on {purged} under the retention "
                            "period (oversight retention apply; the audit trail's retention.applied event): the draw "
                            "cannot be recomputed any more. This is the purge, not a change to the evidence.",),
            purged_on=purged)
    problems: list[str] = []
    cases = pop.cases_with_strata(con, stored.population, stored.design, [])
    recomputed_fp = fingerprint(case_id for case_id, _ in cases)
    if recomputed_fp != sample["fingerprint"] or len(cases) != sample["population_size"]:
        drawn_from = ", ".join(map(str, stored.population.submission_ids))
        problems.append(f"The cases of the report it was drawn from (submission {drawn_from}) changed: "
                        f"{len(cases)} cases with fingerprint {recomputed_fp[:12]}…, stored "
                        f"{sample['population_size']} with {str(sample['fingerprint'])[:12]}….")
    runs = sample["key_item_runs"] if stored.key_rule is not None else None
    outcomes = sample.get("key_item_outcomes") or pop.EARLIER_REFUSAL_OUTCOMES
    key_ids, _ = pop.key_item_ids(con, stored.population, stored.key_rule, runs, outcomes)  # type: ignore[arg-type]
    key_match = sorted(key_ids) == stored.key_ids
    if not key_match:
        problems.append(f"The key items recomputed ({len(key_ids)}) differ from those stored ({len(stored.key_ids)}).")
    keys = set(stored.key_ids)
    picks = select(((c, s) for c, s in cases if c not in keys), str(sample["seed"]), stored.design,
                   int(sample["requested_n"]) if sample["requested_n"] is not None else None,  # type: ignore[call-overload]
                   stored.excluded)
    want = {p.case_id: p.rank for p in picks}
    have = {str(i["case_id"]): str(i["rank"]) for i in stored.active_random}
    missing = tuple(sorted(set(have) - set(want)))
    unexpected = tuple(sorted(set(want) - set(have)))
    wrong_rank = sorted(c for c in set(have) & set(want) if have[c] != want[c])
    reproduced = not missing and not unexpected and not wrong_rank
    if missing or unexpected:
        problems.append(f"Recomputing the random part from seed {sample['seed']} gives {len(want)} cases: "
                        f"{len(missing)} stored case(s) not among them, {len(unexpected)} of them not stored.")
    if wrong_rank:
        problems.append(f"{len(wrong_rank)} stored rank(s) differ from SHA-256 of seed and case id.")
    for item_id, drawn in stored_top_ups(con, sample_id).items():
        # Top-ups: the lowest ranks of the item's cases outside the random part (topup.py), recomputed in Python.
        again = next_cases(con, stored, item_id, len(drawn), drawn=True)
        if sorted(again) != sorted(drawn):
            reproduced = False
            problems.append(f"The top-up for {item_id} recomputed from seed {sample['seed']} gives other cases than "
                            f"the {len(drawn)} stored (did the contract profile's lists change which cases it "
                            "applies to?).")
    processor, periods = str(sample["processor"]), stored.population.periods
    current = [pop.current_report(con, processor, p) for p in periods]
    current_fp: str | None = None
    current_size: int | None = None
    gone = [p for p, report in zip(periods, current, strict=True) if report is None]
    if gone:
        problems.append(f"There is no current report of {processor} for {pop.periods_label(gone)} any more.")
    else:
        now = pop.of_reports(con, processor, periods, [r[0] for r in current if r is not None],
                             stored.population.filters)
        current_fp, current_size = now.fingerprint, now.size
        resubmitted = [(p, sid, now_sid) for p, sid, now_sid in zip(
            periods, stored.population.submission_ids, now.submission_ids, strict=True) if sid != now_sid]
        if resubmitted:
            changed = "with other cases" if current_fp != sample["fingerprint"] else "with the same case ids"
            which = "; ".join(f"{p}: submission {sid} → {now_sid}" for p, sid, now_sid in resubmitted)
            report = "the report was" if len(periods) == 1 else "a report was"
            problems.append(f"The population changed: {report} resubmitted after the draw ({which}, {changed}; "
                            f"now {current_size} cases). The sample still stands for the report(s) it was drawn "
                            "from; draw a new one for the current report(s).")
    return Verification(sample_id, not problems, reproduced, str(sample["fingerprint"]), recomputed_fp, current_fp,
                        int(sample["population_size"]), current_size, missing, unexpected,  # type: ignore[call-overload]
                        key_match, tuple(problems))
