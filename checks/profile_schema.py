"""The TOML shape of a contract profile file: its keys and allowed values, and how the files are read and merged.

A profile is data (contracts/*.toml; docs/architecture.md "Contract profiles"): each file is read and validated on its
own (keys, types, ranges, vocabularies), then merged onto the profile it `extends` (tables merge key by key, arrays
replace). checks/profile_model.py checks the merged result as a whole and freezes it into a `Profile`;
checks/contract.py is the service. An invalid file is refused with `InvalidProfile`, naming the file, the key and
the reason.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from checks.errors import InvalidProfile
from ingest.vocabulary import CASE_FIELDS, VOCABULARIES
from vocab.parameters import BY_NAME as PARAMETER_BY_NAME
from vocab.parameters import Kind, Parameter
from vocab.rubric import CASE_RECORDS, ITEMS
from vocab.severity import FindingSeverity

DEFAULT_PROFILE = "default"
PARTS = ("SCC", "Annex", "Service levels")
# Finding severities (the profile gives the days a processor has to remedy each), the rubric items and the
# parameters are the shared vocabularies of vocab/.
FINDING_SEVERITIES = tuple(s.value for s in FindingSeverity)
RUBRIC_ITEMS = tuple(ITEMS)
TOP_KEYS = ("name", "title", "description", "extends", "calendar", "statutory_calendar", "parameters",
            "finding_due_days", "checks", "rubric", "tolerable_rates", "clauses", "data_subject_ref_pattern")
CALENDAR_KEYS = ("country", "subdivision", "extra_dates")
CLAUSE_KEYS = ("ref", "title", "summary", "part")
# Optional per clause: the standard clauses a service-level item implements (issue 13, item 14: the monthly report
# is logged against the annex's reporting item *and* SCC 7.6(c), which it puts into practice).
CLAUSE_OPTIONAL_KEYS = ("implements", "text")
PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- reading and merging -------------------------------------------------------------------------------------

def read_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Read a profile file, validated on its own, merged onto the profile it extends."""
    data = _normalised(_read(path), str(path))
    parent = data.pop("extends", None)
    if parent is None:
        return data
    parent_path = path.parent / f"{parent}.toml"
    if not PROFILE_NAME.fullmatch(parent) or not parent_path.is_file():
        siblings = sorted(p.stem for p in path.parent.glob("*.toml"))
        raise InvalidProfile(str(path), "extends", f"names '{parent}', which is not a profile in {path.parent}",
                             f"Profiles there: {', '.join(siblings) or 'none'}.")
    if parent_path.resolve() in seen or parent_path.resolve() == path.resolve():
        chain = " → ".join([*(p.stem for p in seen), path.stem, parent])
        raise InvalidProfile(str(path), "extends", f"'{parent}' extends this profile in turn (a cycle: {chain})",
                             "Let one of them stand alone.")
    return _deep_merge(read_merged(parent_path, (*seen, path.resolve())), data)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidProfile(str(path), None, f"not valid TOML: {exc}",
                             "Fix the syntax at that line (strings in double quotes, dates as YYYY-MM-DD).") from None
    except UnicodeDecodeError:
        raise InvalidProfile(str(path), None, "not UTF-8 text", "Save the file as UTF-8.") from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (arrays included) replaces the base's."""
    merged = dict(base)
    for key, value in over.items():
        both_tables = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _deep_merge(merged[key], value) if both_tables else value
    return merged


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`sla.forwarding_late = ...` written unquoted nests in TOML; check ids are the dotted paths."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def catalog_clauses() -> dict[str, str]:
    """Check id → default clause. Imported late: the catalog may one day import this module."""
    from checks.catalog import CHECKS

    return {c.id: c.clause for c in CHECKS}


# --- validation ----------------------------------------------------------------------------------------------

def suggest(word: str, choices: list[str] | tuple[str, ...], prefix: str = "") -> str:
    """Return a "Did you mean ...?" hint naming the closest choice, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"Did you mean `{prefix}{close[0]}`? " if close else ""


def _known_keys(table: dict[str, Any], known: tuple[str, ...], file: str, prefix: str) -> None:
    for key in table:
        if key not in known:
            raise InvalidProfile(file, f"{prefix}{key}", "unknown key",
                                 f"{suggest(key, known, prefix)}The keys here are: {', '.join(known)}.")


def _table(value: Any, file: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidProfile(file, key, f"must be a table ([{key}]), not {_shown(value)}")
    return value


def _text(value: Any, file: str, key: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise InvalidProfile(file, key, f"must be a non-empty string in double quotes, not {_shown(value)}")
    return value


def _whole(value: Any, file: str, key: str, minimum: int, maximum: int | None = None) -> int:
    # bool is a subclass of int in Python: `true` must not pass for 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidProfile(file, key, f"must be a whole number, not {_shown(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
        why = " (every month has a day 28)" if key.endswith("report_due_day") else ""
        raise InvalidProfile(file, key, f"must be {bound}{why}, not {value}")
    return value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


def _vocabulary_list(value: Any, file: str, key: str, vocabulary: str) -> list[str]:
    return _choice_list(value, file, key, list(VOCABULARIES[vocabulary]), vocabulary.replace("_", " "))


def _choice_list(value: Any, file: str, key: str, allowed: list[str], label: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidProfile(file, key, f"must be a list of {label}s in double quotes, not {_shown(value)}",
                             f"For example: {key.rsplit('.', 1)[-1]} = [\"{allowed[0]}\", \"{allowed[1]}\"].")
    for v in value:
        if v not in allowed:
            raise InvalidProfile(file, key, f"'{v}' is not a {label}",
                                 f"{suggest(v, allowed)}The {label}s are: {', '.join(allowed)}.")
    if len(set(value)) != len(value):
        raise InvalidProfile(file, key, "lists a value twice", "Keep each value once.")
    return value


def _extra_dates(value: Any, file: str, key: str) -> list[date]:
    if not isinstance(value, list):
        raise InvalidProfile(file, key, f"must be a list of dates, not {_shown(value)}",
                             "For example: extra_dates = [2026-05-05, 2026-05-15].")
    days: set[date] = set()
    for v in value:
        if isinstance(v, date) and not isinstance(v, datetime):
            days.add(v)
        elif isinstance(v, str) and _ISO_DATE.fullmatch(v.strip()):
            try:
                days.add(date.fromisoformat(v.strip()))
            except ValueError:
                raise InvalidProfile(file, key, f"'{v}' is not a date of the calendar",
                                     "Write each date as YYYY-MM-DD.") from None
        else:
            raise InvalidProfile(file, key, f"{_shown(v)} is not an ISO date (YYYY-MM-DD)",
                                 "Write each date as YYYY-MM-DD, e.g. 2026-05-05.")
    return sorted(days)


def _parameter(parameter: Parameter, value: Any, file: str) -> Any:
    """Validate one parameter's value by its kind (vocab/parameters.py)."""
    key = f"parameters.{parameter.name}"
    if parameter.kind is Kind.LIST:
        vocabulary = str(parameter.vocabulary)
        if vocabulary == "field":
            return _choice_list(value, file, key, [f.name for f in CASE_FIELDS], "report field")
        return _vocabulary_list(value, file, key, vocabulary)
    if parameter.kind is Kind.SWITCH:
        if not isinstance(value, bool):
            raise InvalidProfile(file, key, f"must be true or false, not {_shown(value)}")
        return value
    if parameter.kind is Kind.CHOICE:
        if not isinstance(value, str) or value not in parameter.choices:
            raise InvalidProfile(file, key, f"must be one of {', '.join(repr(c) for c in parameter.choices)}, not "
                                 f"{_shown(value)}")
        return value
    if parameter.kind is Kind.SHARE:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InvalidProfile(file, key, f"must be a share between 0 and 1 (0.05 for 5 %), not {_shown(value)}")
        return float(value)
    return _whole(value, file, key, parameter.minimum, parameter.maximum)


def _rate(value: Any, file: str, key: str) -> float:
    """A spot-check tolerable deviation rate: a share above 0 and below 1 (no sample can show a rate below 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise InvalidProfile(file, key, f"must be a rate above 0 and below 1 (0.05 for 5 %), not {_shown(value)}")
    return float(value)


def _pattern(value: Any, file: str, key: str) -> str:
    """A regular expression as ingest applies it (DuckDB's RE2), matching whole cell values."""
    text = _text(value, file, key)
    try:
        duckdb.sql("SELECT regexp_full_match('', ?)", params=[text]).fetchall()
    except duckdb.Error as exc:
        raise InvalidProfile(file, key, f"is not a regular expression ({str(exc).splitlines()[0]})",
                             'Write it as RE2 reads it, e.g. data_subject_ref_pattern = "KL-[0-9]{6}".') from None
    return text


def _normalised(data: dict[str, Any], file: str) -> dict[str, Any]:
    """Validate one file on its own (keys, types, ranges, vocabularies) and return it in canonical form."""
    _known_keys(data, TOP_KEYS, file, "")
    out: dict[str, Any] = {}
    for key in ("name", "title", "extends"):
        if key in data:
            out[key] = _text(data[key], file, key)
    if "description" in data:
        out["description"] = _text(data["description"], file, "description", empty=True)
    if "data_subject_ref_pattern" in data:
        out["data_subject_ref_pattern"] = _pattern(data["data_subject_ref_pattern"], file, "data_subject_ref_pattern")
    # [calendar]: the contract's working days (service levels); [statutory_calendar]: overrides the controller's
    # country for the statutory deadlines (docs/deadlines.md, "Whose holidays").
    for table in ("calendar", "statutory_calendar"):
        if table in data:
            cal = _table(data[table], file, table)
            _known_keys(cal, CALENDAR_KEYS, file, f"{table}.")
            out[table] = {k: _text(cal[k], file, f"{table}.{k}") for k in ("country", "subdivision") if k in cal}
            if "extra_dates" in cal:
                out[table]["extra_dates"] = _extra_dates(cal["extra_dates"], file, f"{table}.extra_dates")
    if "parameters" in data:
        params = _table(data["parameters"], file, "parameters")
        _known_keys(params, tuple(PARAMETER_BY_NAME), file, "parameters.")
        out["parameters"] = {k: _parameter(PARAMETER_BY_NAME[k], v, file) for k, v in params.items()}
    if "finding_due_days" in data:
        due = _table(data["finding_due_days"], file, "finding_due_days")
        _known_keys(due, FINDING_SEVERITIES, file, "finding_due_days.")
        out["finding_due_days"] = {k: _whole(v, file, f"finding_due_days.{k}", 1) for k, v in due.items()}
    if "checks" in data:
        mapping = _flatten(_table(data["checks"], file, "checks"))
        _known_keys(mapping, tuple(catalog_clauses()), file, "checks.")
        out["checks"] = {k: _text(v, file, f"checks.{k}") for k, v in mapping.items()}
    if "rubric" in data:
        rubric = _table(data["rubric"], file, "rubric")
        _known_keys(rubric, (*RUBRIC_ITEMS, CASE_RECORDS), file, "rubric.")
        out["rubric"] = {k: _text(v, file, f"rubric.{k}") for k, v in rubric.items()}
    if "tolerable_rates" in data:
        rates = _table(data["tolerable_rates"], file, "tolerable_rates")
        _known_keys(rates, RUBRIC_ITEMS, file, "tolerable_rates.")
        out["tolerable_rates"] = {k: _rate(v, file, f"tolerable_rates.{k}") for k, v in rates.items()}
    if "clauses" in data:
        out["clauses"] = _clauses(data["clauses"], file)
    return out


def _clause_text(value: Any, file: str, key: str) -> dict[str, str]:
    """`[clauses.text]`: language code (two lower-case letters, as nl, fr, en) → the clause's words in it."""
    table = _table(value, file, key)
    out = {}
    for language, words in table.items():
        if not (isinstance(language, str) and len(language) == 2 and language.isalpha() and language.islower()):
            raise InvalidProfile(file, f"{key}.{language}", "is not a language code",
                                 'Key each text by a two-letter language code, e.g. nl = "..." or fr = "...".')
        out[language] = _text(words, file, f"{key}.{language}").strip()
    return out


def _clauses(value: Any, file: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise InvalidProfile(file, "clauses", "must be a non-empty array of [[clauses]] tables",
                             "Give each clause as [[clauses]] with ref, title, summary and part.")
    seen: set[str] = set()
    register = []
    for i, entry in enumerate(value, start=1):
        key = f"clauses[{i}]"
        entry = _table(entry, file, key)
        _known_keys(entry, (*CLAUSE_KEYS, *CLAUSE_OPTIONAL_KEYS), file, f"{key}.")
        for field in CLAUSE_KEYS:
            if field not in entry:
                raise InvalidProfile(file, f"{key}.{field}", f"is missing (clause {entry.get('ref', f'number {i}')})",
                                     "Give every clause a ref, title, summary and part.")
        clause: dict[str, Any] = {field: _text(entry[field], file, f"{key}.{field}").strip() for field in CLAUSE_KEYS}
        if "implements" in entry:
            refs = entry["implements"]
            if not isinstance(refs, list) or not all(isinstance(r, str) and r.strip() for r in refs):
                raise InvalidProfile(file, f"{key}.implements", "must be a list of clause refs",
                                     'Write e.g. implements = ["SCC 7.6(c)"].')
            clause["implements"] = [r.strip() for r in refs]
        if "text" in entry:  # issue 15: the clause's words per language, quoted by the letters (docs/letters.md)
            clause["text"] = _clause_text(entry["text"], file, f"{key}.text")
        if clause["part"] not in PARTS:
            raise InvalidProfile(file, f"{key}.part", f"'{clause['part']}' is not a part of the contract",
                                 f"{suggest(clause['part'], PARTS)}The parts are: {', '.join(PARTS)}.")
        if clause["ref"] in seen:
            raise InvalidProfile(file, f"{key}.ref", f"the clause ref '{clause['ref']}' appears twice in the register",
                                 "Give each clause its own ref, or remove the duplicate.")
        seen.add(clause["ref"])
        register.append(clause)
    return register
