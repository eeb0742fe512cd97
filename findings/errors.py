"""Named refusals of the findings log; each message says what is wrong and what to do."""

from __future__ import annotations

from store.errors import OversightError


class FindingError(OversightError):
    """Base class of the findings log's refusals."""


class UnknownFinding(FindingError):
    """No finding has that id."""

    def __init__(self, finding_id: str) -> None:
        super().__init__(f"There is no finding '{finding_id}'. List them with `oversight findings list` "
                         "(ids look like F-2026-0007).")


class InvalidTransition(FindingError):
    """The lifecycle does not allow the move (docs/findings.md, "Lifecycle")."""

    def __init__(self, finding_id: str, current: str, target: str, allowed: list[str]) -> None:
        self.allowed = allowed
        where = (f"From {current} it can move to: {', '.join(allowed)}." if allowed
                 else f"A {current} finding is final; raise a new finding if the problem is back.")
        super().__init__(f"Finding {finding_id} is {current} and cannot move to {target}. {where}")


class ReasonRequired(FindingError):
    """Dismissing a finding needs a reason (docs/findings.md: false positive, accepted risk)."""

    def __init__(self, finding_id: str) -> None:
        super().__init__(f"Dismissing finding {finding_id} needs a reason, e.g. --reason \"false positive: the case "
                         "was forwarded by phone\" or \"accepted risk until the new contract\".")


class UnknownClause(FindingError):
    """The clause is not in the processor's clause register."""

    def __init__(self, clause: str, processor: str, profile: str, close: list[str], known: list[str]) -> None:
        hint = (f"Did you mean {', '.join(repr(c) for c in close)}?" if close
                else f"The register holds: {', '.join(known) or 'no clauses'}.")
        super().__init__(f"Clause '{clause}' is not in the clause register of {processor} (contract profile "
                         f"'{profile}'). {hint} A finding must cite a clause of the processor's contract.")


class InvalidValue(FindingError):
    """A value is not one of a closed set (severity, status, response) or is empty."""


class UnknownCases(FindingError):
    """Case ids given as evidence are not in the processor's reports."""

    def __init__(self, processor: str, case_ids: list[str]) -> None:
        super().__init__(f"No report of {processor} lists the case(s) {', '.join(case_ids)}. Check the case ids "
                         f"(`oversight cases --processor \"{processor}\"`) and raise the finding again.")


class UnknownSample(FindingError):
    """No sample has that id."""

    def __init__(self, sample_id: object) -> None:
        super().__init__(f"There is no sample '{sample_id}'. Samples are drawn with `oversight sample draw`; "
                         "their ids are listed on the Spot checks page.")
