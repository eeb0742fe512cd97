"""Review: the reviewer's answers to the rubric (vocab/rubric.py), append-only.

Each answer is yes / no / na (not applicable), with a comment (required for "no"), the reviewer and the time.
Only the items that apply to the case (spotchecks/applicability.py, from its facts) are answered; "not applicable"
on an item that applies needs a reason, which the evaluation reports.
The rubric is versioned: a sample keeps the version it is reviewed with, and a changed rubric needs a new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import duckdb

from spotchecks import applicability
from spotchecks.errors import InvalidReview, NotInSample
from spotchecks.queries import fetch, get_sample
from store import audit
from store.db import transaction
from store.identity import User, require
from vocab.rubric import DEVIATION_CAUSES, ITEMS, RUBRIC, RUBRIC_VERSION, RUBRICS, RubricItem  # noqa: F401


class Answer(StrEnum):
    yes = "yes"
    no = "no"
    na = "na"
    unable = "unable"  # could not be tested (e.g. the case file was not supplied): a deviation, ISA 530 ¶11

    @classmethod
    def _missing_(cls, value: object) -> Answer | None:
        return cls.na if value == "n/a" else None


def rubric_clauses(con: duckdb.DuckDBPyConnection, processor: str) -> dict[str, str]:
    """The clause each rubric item is logged against for this processor: its contract profile's, else the default."""
    defaults = {item.id: item.clause for item in RUBRIC}
    try:
        from checks.contract import profile_for_processor
    except ImportError as exc:  # the contract profiles module is not there yet: the rubric's own references
        if exc.name in ("checks", "checks.contract") or "profile_for_processor" in str(exc):
            return defaults
        raise
    mapped = getattr(profile_for_processor(con, processor), "rubric_clauses", None) or {}
    return {item_id: str(mapped.get(item_id, clause)) for item_id, clause in defaults.items()}


@dataclass(frozen=True)
class Review:
    """One recorded answer."""

    sample_id: str
    case_id: str
    item_id: str
    answer: Answer
    comment: str | None
    reviewer: str
    reviewed_at: datetime
    rubric_version: str
    cause: str | None = None  # of a "no": one of DEVIATION_CAUSES


def _cause(item_id: str, answer: Answer, cause: object) -> str | None:
    """A "no" names its cause from the closed list (ISA 530 ¶12); other answers have none. A "no" recorded without
    one is kept (an answer is never refused for it) and counted as "not stated" until a later answer gives it."""
    text = str(cause or "").strip().lower().replace(" ", "_")
    if answer is not Answer.no or not text:
        return None
    if text not in DEVIATION_CAUSES:
        raise InvalidReview(f"A \"no\" for '{item_id}' needs its cause: one of {', '.join(DEVIATION_CAUSES)} "
                            f"(--cause), not '{cause or ''}'.")
    return text


def _validate(item_id: str, answer: object, comment: str | None) -> tuple[Answer, str | None]:
    if item_id not in ITEMS:
        raise InvalidReview(f"Unknown rubric item '{item_id}'. The items are: {', '.join(ITEMS)}.")
    try:
        chosen = Answer(str(answer).strip().lower())
    except ValueError:
        raise InvalidReview(f"The answer for '{item_id}' must be yes, no, na (n/a: not applicable) or unable, "
                            f"not '{answer}'.") from None
    text = (comment or "").strip() or None
    if chosen is Answer.no and not text:
        raise InvalidReview(f"A \"no\" for '{item_id}' needs a comment saying what was wrong in the case "
                            "(it becomes the evidence of the finding). Add --comment \"...\".")
    if chosen is Answer.unable and not text:
        raise InvalidReview(f"\"unable\" for '{item_id}' needs a comment saying why the case could not be tested "
                            "(e.g. \"case file not supplied\"): it counts as a deviation. Add --comment \"...\".")
    return chosen, text


def record_reviews(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, case_id: str,
                   answers: Mapping[str, tuple[object, ...]]) -> list[Review]:
    """Record answers for one sampled case in one transaction: {item_id: (answer, comment[, cause])}; all or none.
    A "no" needs a comment and its cause (DEVIATION_CAUSES)."""
    role = require(user, "record a review")
    checked = {item_id: _validate(item_id, given[0], given[1] if len(given) > 1 else None)  # type: ignore[arg-type]
               for item_id, given in answers.items()}
    causes = {item_id: _cause(item_id, checked[item_id][0], given[2] if len(given) > 2 else None)
              for item_id, given in answers.items()}
    if not checked:
        raise InvalidReview("No answers were given: answer at least one rubric item.")
    sample = get_sample(con, sample_id)
    version = str(sample["rubric_version"])
    if version not in RUBRICS:
        raise InvalidReview(f"Sample {sample_id} uses rubric version {version}, which this version of the tool "
                            f"does not know (it knows {', '.join(RUBRICS)}).")
    at = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        item = fetch(con, "SELECT i.part, r.replacement FROM sample_items i LEFT JOIN sample_replacements r "
                          "USING (sample_id, case_id) WHERE i.sample_id = ? AND i.case_id = ?", [sample_id, case_id])
        if not item:
            raise NotInSample(f"Case '{case_id}' is not in sample {sample_id}: only the sampled cases are reviewed. "
                              f"See them with `oversight sample show {sample_id}`.")
        if item[0]["replacement"]:
            raise NotInSample(f"Case '{case_id}' was replaced in sample {sample_id} by {item[0]['replacement']}; "
                              "review that case instead.")
        _require_applicable(checked, applicability.for_sample(con, sample_id, [case_id])[case_id], case_id)
        recorded = []
        for item_id, (answer, comment) in checked.items():
            con.execute("INSERT INTO reviews (sample_id, case_id, item_id, answer, comment, reviewer, reviewed_at, "
                        "rubric_version, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [sample_id, case_id, item_id, answer.value, comment, user.name, at, version,
                         causes[item_id]])
            recorded.append(Review(sample_id, case_id, item_id, answer, comment, user.name, at, version,
                                   causes[item_id]))
        # The comments stay in the reviews table: they may describe the case, and the trail holds no case notes.
        audit.append_event(con, user=user.name, role=role, action="sample.reviewed", obj=f"sample:{sample_id}",
                           details={"case_id": case_id, "answers": {k: v[0].value for k, v in checked.items()},
                                    "causes": {k: v for k, v in causes.items() if v},
                                    "rubric_version": version})
    return recorded


def items_for(con: duckdb.DuckDBPyConnection, sample_id: str, case_id: str) -> list[str]:
    """The rubric items that apply to a sampled case (from its facts), in the rubric's order: the ones it is asked."""
    return list(applicability.for_sample(con, sample_id, [case_id])[case_id])


def _require_applicable(checked: Mapping[str, tuple[Answer, str | None]], applies: tuple[str, ...],
                        case_id: str) -> None:
    """Refuse answers to items that do not apply to the case, and "not applicable" without a reason where one does."""
    outside = [item_id for item_id in checked if item_id not in applies]
    if outside:
        raise InvalidReview(f"{', '.join(outside)} do(es) not apply to case '{case_id}' (from its facts), so it is "
                            f"not asked. The items that apply: {', '.join(applies) or 'none'}.")
    unexplained = [item_id for item_id, (answer, comment) in checked.items() if answer is Answer.na and not comment]
    if unexplained:
        raise InvalidReview(f"{', '.join(unexplained)} appl(ies) to case '{case_id}' from its facts: \"not "
                            "applicable\" needs a reason in the comment (it is reported with the evaluation).")


CASE_FILE_NOT_SUPPLIED = "case file not supplied"


def record_unable(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, case_id: str,
                  reason: str = CASE_FILE_NOT_SUPPLIED) -> list[Review]:
    """Answer every item that applies to the case `unable` (e.g. its case file was not supplied): each is a
    deviation for its item (ISA 530 ¶11), and together they can raise a finding under the audit clause."""
    return record_reviews(con, user, sample_id, case_id,
                          {item_id: (Answer.unable, reason) for item_id in items_for(con, sample_id, case_id)})


def record_review(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, case_id: str, item_id: str,
                  answer: object, comment: str | None = None, cause: str | None = None) -> Review:
    """Record one answer for one rubric item of one sampled case (a "no" with its comment and cause)."""
    return record_reviews(con, user, sample_id, case_id, {item_id: (answer, comment, cause)})[0]
