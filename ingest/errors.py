"""Named ingest errors. Each message names the file, what was found, and what to do."""

from __future__ import annotations

from store.errors import OversightError


class IngestError(OversightError):
    """Base class: the file is refused as a whole and nothing is written."""

    # The `report.refused` audit event's reason; None: the file itself was not refused (a missing argument, a bad
    # mapping file or key), so no event is written.
    refusal: str | None = "refused"


class EmptyFile(IngestError):
    """The file has no content."""

    refusal = "empty_file"


class UnreadableFile(IngestError):
    """The file is corrupt, encrypted, or not a CSV or Excel workbook."""

    refusal = "unreadable"


class NoHeaderFound(IngestError):
    """No row looks like a header of case or training fields."""

    refusal = "no_header"


class MissingRequiredColumns(IngestError):
    """Required fields cannot be mapped from the headers."""

    refusal = "unknown_headers"

    def __init__(self, message: str, *, missing: list[str], unmapped: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
        self.unmapped = unmapped


class AmbiguousHeaders(IngestError):
    """Two columns map to the same field, or several sheets look like case lists."""

    refusal = "ambiguous_headers"


class MissingFact(IngestError):
    """A report-level fact (processor, period) is neither given nor found in the file."""

    refusal = None


class InvalidMapping(IngestError):
    """A mapping file or mapping entry is malformed or names an unknown field."""

    refusal = None


class KeyMismatch(IngestError):
    """The pseudonymisation key differs from the one this database was built with."""

    refusal = None


class ReinstateRefused(IngestError):
    """A submission cannot be made current again: unknown, already current, empty, or no reason given."""

    refusal = None


class SubmittedInFuture(IngestError):
    """The date a report was received is after today (issue 12 §2: never in the future)."""

    refusal = None


class ImplausibleFact(IngestError):
    """A report-level fact holds a value it cannot have (a negative or out-of-range total)."""

    refusal = "implausible_value"
