"""The retention periods (`[retention]` in the configuration) and the month arithmetic that applies them.

GDPR Art. 5(1)(e), storage limitation: personal data is kept no longer than its purpose needs. Each kind of data the
tool holds has a period in whole months, counted from the end of the month it belongs to (a case's report month, a
quarantined row's report month, a sample's, finding's or evidence request's month, a letter's month of sending):
- `cases_months` (24): case rows and the processor's training rows of a report month, with that month's exceptions;
- `quarantine_raw_months` (3): the raw values of rows that could not be loaded (the row and its reasons stay);
- `evidence_months` (84): review answers and comments, closed findings, letters and evidence files (the contract's
  evidence period: seven years is the usual limitation period for claims under a service contract).
Pure functions only; store.retention plans and applies the purge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

from store.errors import ConfigError

KEYS = ("cases_months", "quarantine_raw_months", "evidence_months")


@dataclass(frozen=True)
class Retention:
    """How many whole months after its month each kind of data is kept (the safe defaults of issue 17)."""

    cases_months: int = 24
    quarantine_raw_months: int = 3
    evidence_months: int = 84

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_retention(section: object, path: Path) -> Retention:
    """Read `[retention]`: whole numbers of months, 1 or more; a missing key keeps its default."""
    if section is None:
        return Retention()
    if not isinstance(section, Mapping):
        raise ConfigError(f"{path}: [retention] must be a table with {', '.join(KEYS)} (whole numbers of months).")
    extra = sorted(set(section) - set(KEYS))
    if extra:
        raise ConfigError(f"{path}: [retention] has unknown key(s) {', '.join(extra)}; it knows {', '.join(KEYS)}. "
                          "Correct the spelling; nothing was done.")
    values: dict[str, int] = {}
    for key, value in section.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1200:
            raise ConfigError(f"{path}: [retention] {key} must be a whole number of months from 1 to 1200, e.g. "
                              f"{key} = {getattr(Retention(), key)}; not {value!r}.")
        values[key] = value
    return Retention(**values)


def month_start(period: str) -> date:
    """The first day of a month written YYYY-MM."""
    year, month = period[:7].split("-")
    return date(int(year), int(month), 1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def expires_on(period: str, months: int) -> date:
    """The first day on which data of `period` kept `months` months after its month may go: a case of 2026-10 kept
    24 months is kept through 2028-10-31 and may go from 2028-11-01."""
    return add_months(month_start(period), months + 1)


def expired(period: str, months: int, today: date) -> bool:
    """Whether data of `period` is past its retention on `today`."""
    return today >= expires_on(period, months)
