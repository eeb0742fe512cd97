"""Named ingest errors. Each message names the file, what was found, and what to do."""

from __future__ import annotations

from store.errors import OversightError


class IngestError(OversightError):
    """Base class: the file is refused as a whole and nothing is written."""


class EmptyFile(IngestError):
    """The file has no content."""


class UnreadableFile(IngestError):
    """The file is corrupt, encrypted, or not a CSV or Excel workbook."""


class NoHeaderFound(IngestError):
    """No row looks like a header of case or training fields."""


class MissingRequiredColumns(IngestError):
    """Required fields cannot be mapped from the headers."""

    def __init__(self, message: str, *, missing: list[str], unmapped: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
        self.unmapped = unmapped


class AmbiguousHeaders(IngestError):
    """Two columns map to the same field, or several sheets look like case lists."""


class MissingFact(IngestError):
    """A report-level fact (processor, period) is neither given nor found in the file."""


class InvalidMapping(IngestError):
    """A mapping file or mapping entry is malformed or names an unknown field."""


class KeyMismatch(IngestError):
    """The pseudonymisation key differs from the one this database was built with."""
