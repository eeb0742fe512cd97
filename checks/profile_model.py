"""What a validated contract profile is, and how a merged profile is checked as a whole and frozen into one.

checks/profile_schema.py reads the files and checks each on its own (keys, types, ranges, vocabularies); here the
merged result must be complete and hang together: every required key present, the calendar known to the `holidays`
package, and every check and rubric item resolving to a clause of the register. An invalid profile is refused with
`InvalidProfile`, naming the file, the key and the reason.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, make_dataclass
from datetime import date
from pathlib import Path
from typing import Any

import holidays

from checks.errors import InvalidProfile
from checks.profile_schema import (
    DEFAULT_PROFILE,
    FINDING_SEVERITIES,
    RUBRIC_ITEMS,
    catalog_clauses,
    suggest,
)
from vocab.parameters import PARAMETERS, Kind
from vocab.rubric import CASE_RECORDS, CASE_RECORDS_CLAUSE, RUBRIC


@dataclass(frozen=True)
class Clause:
    """One entry of the clause register: a clause of the contract that findings and exceptions cite."""

    ref: str
    title: str
    summary: str
    part: str
    # The clauses this one puts into practice (a service-level item implementing a standard clause, e.g. SL 1 →
    # SCC 7.6(c)): what is logged against it is logged against those too (issue 13, item 14).
    implements: tuple[str, ...] = ()
    # The clause's words per language (`[clauses.text] nl = "..."`), which a letter quotes in the processor's
    # language; without one, a letter quotes the summary (issue 15, docs/letters.md).
    text: dict[str, str] = field(default_factory=dict, hash=False)

    def cited(self) -> str:
        """The reference as a letter or a sheet cites it, with what it implements: 'SL 1 (SCC 7.6(c))'."""
        return f"{self.ref} ({', '.join(self.implements)})" if self.implements else self.ref


@dataclass(frozen=True)
class CalendarSpec:
    """The holiday calendar of a contract: a `holidays` country, optional subdivision, and agreed extra days."""

    country: str
    subdivision: str | None
    extra_dates: tuple[date, ...]

    def label(self) -> str:
        """Return a short name for the calendar, e.g. 'BE' or 'FR-57 + 2 extra dates'."""
        place = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
        n = len(self.extra_dates)
        return f"{place} + {n} extra date{'' if n == 1 else 's'}" if n else place


# The contract parameters (vocab/parameters.py), one frozen field each: `profile.parameters.report_due_day`.
_FIELD_TYPES: dict[Kind, type] = {Kind.WHOLE: int, Kind.LIST: tuple, Kind.SHARE: float, Kind.SWITCH: bool,
                                  Kind.CHOICE: str}
Parameters = make_dataclass("Parameters", [(p.name, _FIELD_TYPES[p.kind]) for p in PARAMETERS], frozen=True)
Parameters.__doc__ = "The contract parameters of a profile, one field per entry of vocab/parameters.py."


@dataclass(frozen=True)
class Profile:
    """A validated contract profile, merged with the profile it extends."""

    name: str
    title: str
    path: Path
    sha256: str                  # of the merged, canonical content: any change, a parent's included, changes it
    calendar: CalendarSpec
    parameters: Any               # a Parameters
    clauses: dict[str, Clause]   # the register, in file order
    check_clauses: dict[str, str]  # every catalog check → its effective clause
    rubric_clauses: dict[str, str]
    # Spot checks: each rubric item's tolerable deviation rate (`[tolerable_rates]`; an item left out takes its
    # default in vocab/rubric.py).
    tolerable_rates: dict[str, float]
    finding_due_days: dict[str, int]
    description: str = ""
    # `[rubric] case_records`: the clause a spot-checked case whose records were not made available is logged against
    # (vocab/rubric.py CASE_RECORDS).
    records_clause: str = CASE_RECORDS_CLAUSE
    # The processor's customer references (a regular expression); ingest stores any cell matching it as its
    # pseudonym, wherever it lands (docs/report-format.md, "Pseudonymous").
    data_subject_ref_pattern: str | None = None
    # `[statutory_calendar]`: whose holidays the statutory (Art. 12) deadlines count when this contract says so;
    # None: the controller's country (`[controller] country`), else `calendar` (docs/deadlines.md, "Whose holidays").
    statutory_calendar: CalendarSpec | None = None

    def statutory_spec(self, controller_country: str | None) -> tuple[CalendarSpec, str]:
        """The calendar of the statutory deadlines and why: the profile's override, else the controller's country
        (with this profile's subdivision and extra dates when it is the same country), else the contract calendar."""
        if self.statutory_calendar is not None:
            return self.statutory_calendar, f"profile {self.name}, [statutory_calendar]"
        if controller_country is None:
            return self.calendar, f"profile {self.name}, [calendar]: no [controller] country is configured"
        if controller_country == self.calendar.country:
            return self.calendar, "the controller's country, [controller] country"
        return CalendarSpec(controller_country, None, ()), "the controller's country, [controller] country"

    def clause_for_check(self, check_id: str) -> str:
        """Return the clause a check's exceptions are logged against under this contract."""
        try:
            return self.check_clauses[check_id]
        except KeyError:
            raise KeyError(f"'{check_id}' is not a check of the catalog") from None

    def as_dict(self) -> dict[str, Any]:
        """The profile as a JSON-ready document (the `profile show --format json` interface)."""
        return {
            "name": self.name, "title": self.title, "description": self.description, "path": str(self.path),
            "sha256": self.sha256,
            "calendar": {"country": self.calendar.country, "subdivision": self.calendar.subdivision,
                         "extra_dates": [d.isoformat() for d in self.calendar.extra_dates],
                         "label": self.calendar.label()},
            "statutory_calendar": None if self.statutory_calendar is None else {
                "country": self.statutory_calendar.country, "subdivision": self.statutory_calendar.subdivision,
                "extra_dates": [d.isoformat() for d in self.statutory_calendar.extra_dates],
                "label": self.statutory_calendar.label()},
            "parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.parameters).items()},
            "finding_due_days": dict(self.finding_due_days),
            "data_subject_ref_pattern": self.data_subject_ref_pattern,
            "checks": dict(self.check_clauses),
            "rubric": dict(self.rubric_clauses),
            "case_records": self.records_clause,
            "tolerable_rates": dict(self.tolerable_rates),
            "clauses": [asdict(c) for c in self.clauses.values()],
        }


# --- the merged profile as a whole ----------------------------------------------------------------------------

def _missing(file: str, key: str) -> InvalidProfile:
    return InvalidProfile(file, key, "is missing",
                          f"Add it, or start the file with extends = \"{DEFAULT_PROFILE}\" to inherit it.")


def _calendar(cal: dict[str, Any], file: str, table: str = "calendar") -> CalendarSpec:
    if "country" not in cal:
        raise _missing(file, f"{table}.country")
    country, subdivision = cal["country"], cal.get("subdivision")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise InvalidProfile(file, f"{table}.country", f"'{country}' is not a country the holidays package knows",
                             f"{suggest(country, sorted(supported))}Use an ISO 3166 code such as BE, NL or FR.")
    if subdivision is not None:
        aliases = getattr(holidays.country_holidays(country), "subdivisions_aliases", {}) or {}
        known = [*supported[country], *aliases]
        if subdivision not in known:
            raise InvalidProfile(file, f"{table}.subdivision", f"'{subdivision}' is not a subdivision of {country}",
                                 f"{suggest(subdivision, known)}The subdivisions of {country} are: "
                                 f"{', '.join(supported[country]) or 'none'}.")
    return CalendarSpec(country, subdivision, tuple(cal.get("extra_dates", ())))


def build_profile(merged: dict[str, Any], path: Path) -> Profile:
    """Check the merged profile as a whole (everything present, every reference resolving) and freeze it."""
    file = str(path)
    for key in ("name", "title"):
        if key not in merged:
            raise _missing(file, key)
    if merged["name"] != path.stem:
        raise InvalidProfile(file, "name", f"is '{merged['name']}' but the file is {path.name}",
                             f"Processors are linked by name: set name = \"{path.stem}\" (the file name).")
    calendar = _calendar(merged.get("calendar", {}), file)
    statutory = _calendar(merged["statutory_calendar"], file, "statutory_calendar") \
        if "statutory_calendar" in merged else None
    params = merged.get("parameters", {})
    # A contract term must be stated; a parameter with a default from the law takes it when left out.
    for parameter in PARAMETERS:
        if parameter.name not in params and parameter.required:
            raise _missing(file, f"parameters.{parameter.name}")
    params = {p.name: params.get(p.name, list(p.default) if p.kind is Kind.LIST else p.default) for p in PARAMETERS}
    due = merged.get("finding_due_days", {})
    for key in FINDING_SEVERITIES:
        if key not in due:
            raise _missing(file, f"finding_due_days.{key}")
    if not merged.get("clauses"):
        raise _missing(file, "clauses")
    register = {c["ref"]: Clause(**{**c, "implements": tuple(c.get("implements", ()))}) for c in merged["clauses"]}
    for i, clause in enumerate(register.values(), start=1):
        for ref in clause.implements:
            _resolves(ref, register, file, f"clauses[{i}].implements")
    defaults = catalog_clauses()
    mapped = merged.get("checks", {})
    for check_id, ref in mapped.items():
        _resolves(ref, register, file, f"checks.{check_id}")
    for check_id, ref in defaults.items():
        if check_id not in mapped and ref not in register:
            raise InvalidProfile(file, f"checks.{check_id}",
                                 f"has no clause: not mapped in [checks], and its catalog default '{ref}' is not in "
                                 "the clause register",
                                 f"Map \"{check_id}\" in [checks] to a clause of the register, or add '{ref}' "
                                 "to [[clauses]].")
    rubric = merged.get("rubric", {})
    for item in RUBRIC_ITEMS:
        if item not in rubric:
            raise _missing(file, f"rubric.{item}")
        _resolves(rubric[item], register, file, f"rubric.{item}")
    records_clause = rubric.get(CASE_RECORDS, CASE_RECORDS_CLAUSE)
    _resolves(records_clause, register, file, f"rubric.{CASE_RECORDS}")
    # The hash covers the parameters as applied, defaults included: a default that changes changes it too.
    canonical = json.dumps({**merged, "parameters": params}, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=lambda d: d.isoformat())
    return Profile(
        name=merged["name"], title=merged["title"], description=merged.get("description", ""), path=path,
        sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(), calendar=calendar, statutory_calendar=statutory,
        parameters=Parameters(**{p.name: tuple(params[p.name]) if p.kind is Kind.LIST else params[p.name]
                                 for p in PARAMETERS}),
        clauses=register, check_clauses={c: mapped.get(c, ref) for c, ref in defaults.items()},
        rubric_clauses={item: rubric[item] for item in RUBRIC_ITEMS},
        tolerable_rates={item.id: float(merged.get("tolerable_rates", {}).get(item.id, item.tolerable))
                         for item in RUBRIC},
        finding_due_days={k: due[k] for k in FINDING_SEVERITIES}, records_clause=records_clause,
        data_subject_ref_pattern=merged.get("data_subject_ref_pattern"),
    )


def _resolves(ref: str, register: dict[str, Clause], file: str, key: str) -> None:
    if ref not in register:
        raise InvalidProfile(file, key, f"maps to '{ref}', which is not in the clause register",
                             f"{suggest(ref, list(register))}Use a ref of [[clauses]], or add that clause there.")
