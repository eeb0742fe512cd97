"""Named refusals of the spot-check stages; each message says what is wrong and what to do."""

from __future__ import annotations

from store.errors import OversightError


class SpotCheckError(OversightError):
    """Base class of every spot-check refusal."""


class InvalidArgument(SpotCheckError):
    """An argument of plan, draw, review or evaluate is out of range; the message names it."""


class InvalidSeed(SpotCheckError):
    """A seed that cannot be used to rank cases reproducibly."""


class EmptyPopulation(SpotCheckError):
    """There are no cases to draw from (no current report, or the filters leave none)."""


class NoCheckRun(SpotCheckError):
    """Key items 'major' asked for, but the checks have not run for that processor and period."""

    def __init__(self, processor: str, period: str) -> None:
        super().__init__(
            f"Key items 'major' for {processor} {period}: no check run for this period yet: run `oversight check` "
            f"first (oversight check --processor \"{processor}\" --period {period}), then draw again."
        )


class UnknownSample(SpotCheckError):
    """No sample has that id."""

    def __init__(self, sample_id: str) -> None:
        super().__init__(f"There is no sample '{sample_id}'. List the samples with `oversight sample list`.")


class NotInSample(SpotCheckError):
    """The case is not (or no longer) one of the sample's cases to review."""


class PopulationChanged(SpotCheckError):
    """The cases the sample was drawn from are no longer what they were at the draw."""


class NothingToReplace(SpotCheckError):
    """A replacement was asked for but no case is left in rank order (or no reason was given)."""


class InvalidReview(SpotCheckError):
    """A review answer that cannot be recorded (unknown item, unknown answer, a "no" without a comment)."""
