"""Named refusals of the exports; each message says what is wrong and what to do."""

from __future__ import annotations

from store.errors import OversightError
from store.errors import UnknownProcessor as StoreUnknownProcessor


class ExportError(OversightError):
    """Base class of the exports' refusals."""


class UnknownProcessor(StoreUnknownProcessor, ExportError):
    """No processor has that name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name, known, "Use one of these names exactly (`oversight reports` lists them).")


class UnknownPeriod(ExportError):
    """Nothing is known about the processor for that month: no report, no check result, not flagged missing."""

    def __init__(self, processor: str, period: str, known: list[str]) -> None:
        where = (f"Its reports and check results cover {', '.join(known)}." if known
                 else "No report of it has been ingested yet.")
        super().__init__(f"Nothing is known about {processor} for {period}: no report was ingested, no check was run "
                         f"for that month and no check flagged its report missing. {where} Export one of those "
                         "months, or ingest the report first.")


class InvalidPeriod(ExportError):
    """The period is not written as YYYY-MM."""

    def __init__(self, period: str) -> None:
        super().__init__(f"The period '{period}' is not a month in the form YYYY-MM; write it like 2026-10.")


class UnsupportedFormat(ExportError):
    """The requested file type cannot be written."""


class OutputNotWritable(ExportError):
    """The export could not be written to the path given."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"The export could not be written to {path} ({reason}); nothing was recorded. "
                         "Choose a file in a folder that exists and that you may write to, with --out FILE.")
