"""Second review (issue 14, item 7): another auditor answers some cases again, independently; per rubric item the
two reviewers' agreement is the share of cases answered alike and Cohen's kappa, the agreement beyond chance.

    kappa = (p_o − p_e) / (1 − p_e),   p_e = Σ_c p_first(c) × p_second(c)

(Cohen, "A coefficient of agreement for nominal scales", Educational and Psychological Measurement 20(1), 1960).
When both reviewers always gave the same single answer, p_e = 1 and kappa is undefined: the result says so and shows
the agreement. The second answers are kept apart (`second_reviews`): they never change the evaluation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from spotchecks import applicability
from spotchecks.errors import InvalidReview, NotInSample
from spotchecks.queries import fetch, get_sample
from spotchecks.review import Answer, _validate
from store import audit
from store.db import transaction
from store.identity import User, require

KAPPA_UNDEFINED = "kappa undefined: both reviewers gave one and the same answer to every case"


@dataclass(frozen=True)
class Agreement:
    """Per rubric item: cases answered by both, the share answered alike, Cohen's kappa (None: undefined)."""

    item: str
    cases: int
    agreement: float | None
    kappa: float | None
    note: str = ""


def cohen_kappa(pairs: Iterable[tuple[str, str]]) -> tuple[int, float | None, float | None, str]:
    """(cases, agreement, kappa, note) for the (first, second) answers of the same cases."""
    pairs = list(pairs)
    n = len(pairs)
    if not n:
        return 0, None, None, "no case reviewed twice"
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[c] * second[c] for c in first) / (n * n)
    if chance >= 1:
        return n, observed, None, KAPPA_UNDEFINED
    return n, observed, (observed - chance) / (1 - chance), ""


def record_second_review(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, case_id: str,
                         answers: Mapping[str, tuple[object, str | None]]) -> int:
    """Record another auditor's independent answers for one case: {item_id: (answer, comment)}; all or none.
    Refused to the reviewer whose answers they would check."""
    role = require(user, "record a review")
    checked = {item_id: _validate(item_id, answer, comment) for item_id, (answer, comment) in answers.items()}
    if not checked:
        raise InvalidReview("No answers were given: answer at least one rubric item.")
    get_sample(con, sample_id)
    applies = applicability.for_sample(con, sample_id, [case_id])[case_id]
    at = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        if not fetch(con, "SELECT 1 FROM active_sample_items WHERE sample_id = ? AND case_id = ?",
                     [sample_id, case_id]):
            raise NotInSample(f"Case '{case_id}' is not an active case of sample {sample_id}.")
        first = {str(r["item_id"]): str(r["reviewer"]) for r in fetch(
            con, "SELECT item_id, reviewer FROM current_reviews WHERE sample_id = ? AND case_id = ?",
            [sample_id, case_id])}
        for item_id in checked:
            if item_id not in applies:
                raise InvalidReview(f"{item_id} does not apply to case '{case_id}' (from its facts).")
            if first.get(item_id) == user.name:
                raise InvalidReview(f"You gave the first answer to {item_id} of case '{case_id}': a second review is "
                                    "by another auditor.")
        for item_id, (answer, comment) in checked.items():
            con.execute("INSERT INTO second_reviews (sample_id, case_id, item_id, answer, comment, reviewer, "
                        "reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [sample_id, case_id, item_id, Answer(answer).value, comment, user.name, at])
        audit.append_event(con, user=user.name, role=role, action="sample.second_reviewed",
                           obj=f"sample:{sample_id}", details={"case_id": case_id,
                                                               "answers": {k: v[0].value for k, v in checked.items()}})
    return len(checked)


def agreement(con: duckdb.DuckDBPyConnection, sample_id: str) -> list[Agreement]:
    """Per rubric item, the agreement between the current first answers and the latest second answers."""
    found = fetch(con, """SELECT f.item_id, f.answer AS first, s.answer AS second
                          FROM current_reviews f
                          JOIN (SELECT * FROM second_reviews WHERE sample_id = $s
                                QUALIFY row_number() OVER (PARTITION BY case_id, item_id ORDER BY review_id DESC) = 1) s
                            USING (sample_id, case_id, item_id)
                          JOIN active_sample_items USING (sample_id, case_id)
                          WHERE f.sample_id = $s""", {"s": sample_id})
    by_item: dict[str, list[tuple[str, str]]] = {}
    for row in found:
        by_item.setdefault(str(row["item_id"]), []).append((str(row["first"]), str(row["second"])))
    out = []
    for item_id in applicability.ordered(by_item):
        n, observed, kappa, note = cohen_kappa(by_item[item_id])
        out.append(Agreement(item_id, n, observed, kappa, note))
    return out
