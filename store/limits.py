"""The resource limits on report files (`[limits]` in the configuration), checked before the expensive read.

A hostile or broken file must not take the machine's memory or CPU (issue 18: a 3-10 MB .xlsx took 10 GB, a 5,000
column CSV 97 s). The defaults are generous for real monthly reports; a deployment that receives larger ones raises
them in the configuration file. ingest/limits.py applies them; the dashboard and the CLI set them from the
configuration with `configure` (a process serves one configuration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from store.errors import ConfigError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How large a report file may be, and how much of it: each refused with its name and how to raise it."""

    max_file_bytes: int = 200 * MB
    max_uncompressed_bytes: int = 1024 * MB  # an .xlsx's content once unzipped (a zip bomb's ratio is ~1000:1)
    max_rows: int = 2_000_000
    max_columns: int = 200
    max_line_bytes: int = 1 * MB
    max_sheets: int = 20
    # Issue 15: one evidence file or attachment (store/blobs.py); scans of a case file are a few MB each.
    max_evidence_bytes: int = 20 * MB


WHAT = {
    "max_file_bytes": "bytes in the file",
    "max_uncompressed_bytes": "bytes once unzipped",
    "max_rows": "rows",
    "max_columns": "columns",
    "max_line_bytes": "bytes in one line",
    "max_sheets": "worksheets",
    "max_evidence_bytes": "bytes in one evidence file",
}
KEYS = tuple(f.name for f in fields(Limits))

_current = Limits()


def parse_limits(table: Mapping[str, object] | None, path: Path) -> Limits:
    """Read `[limits]`: known keys only, each a whole number above 0."""
    table = table or {}
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: [limits] has unknown key(s) {', '.join(unknown)}; it knows {', '.join(KEYS)}.")
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{path}: [limits] {key} must be a whole number above 0, e.g. {key} = "
                              f"{getattr(Limits(), key)}.")
    return Limits(**{k: int(v) for k, v in table.items()})  # type: ignore[arg-type]


def configure(limits: Limits) -> None:
    """Use these limits for the files this process reads (from the configuration it runs with)."""
    global _current
    _current = limits


def current() -> Limits:
    """The limits in force in this process (the defaults until configured)."""
    return _current
