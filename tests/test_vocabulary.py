"""The format as data stays honest: aliases unique per part, and docs/report-format.md lists exactly the fields,
aliases, values and summary labels the code recognises."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.validate import Reason, Skip
from ingest.vocabulary import (
    CASE_ALIASES,
    CASE_FIELDS,
    SUMMARY_LABELS,
    TRAINING_ALIASES,
    TRAINING_FIELDS,
    VOCABULARIES,
    Field,
    label_key,
    value_index,
)

FORMAT_MD = Path(__file__).resolve().parents[1] / "docs" / "report-format.md"


def _section(title: str) -> str:
    """The text of the docs/report-format.md section with this heading, up to the next heading."""
    return FORMAT_MD.read_text(encoding="utf-8").split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _rows(text: str, width: int) -> list[list[str]]:
    """The body cells of the markdown tables of `width` columns in the text (header and rule rows excluded)."""
    lines = [line.strip() for line in text.splitlines()]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines
            if line.startswith("|") and not set(line) <= set("|-: ")]
    return [r for r in rows if len(r) == width and r[0] not in ("canonical", "field", "fact")]


def _aliases(cell: str) -> list[str]:
    return [a.strip() for a in cell.split(",") if a.strip()]


def documented_fields(title: str) -> dict[str, tuple[str, bool, list[str]]]:
    """field → (type, required, aliases) from a field table of the documentation."""
    return {r[0]: (r[1], r[2] == "yes", _aliases(r[3])) for r in _rows(_section(title), 4)}


@pytest.mark.parametrize("fields", [CASE_FIELDS, TRAINING_FIELDS], ids=["cases", "training"])
def test_no_alias_means_two_fields(fields):
    seen: dict[str, str] = {}
    for f in fields:
        for alias in (f.name, *f.aliases):
            key = label_key(alias)
            assert seen.setdefault(key, f.name) == f.name, f"{alias!r} maps to {seen[key]} and {f.name}"


def test_no_value_alias_means_two_values():
    for name, vocabulary in VOCABULARIES.items():
        seen: dict[str, str] = {}
        for canonical, aliases in vocabulary.items():
            for alias in (canonical, *aliases):
                assert seen.setdefault(label_key(alias), canonical) == canonical, (name, alias)


def test_header_matching_ignores_case_accents_separators_and_a_trailing_note():
    assert label_key("Date de réception (dd/mm/yyyy)") == label_key("DATE-DE_RECEPTION")
    assert CASE_ALIASES[label_key("Geëscaleerd op")] == "escalated_on"
    assert CASE_ALIASES[label_key("N° dossier")] == "case_id"
    assert CASE_ALIASES[label_key("Received (dd/mm/yyyy)")] == "received_on"


@pytest.mark.parametrize(("title", "fields", "index"), [("Case fields", CASE_FIELDS, CASE_ALIASES),
                                                        ("Training roster fields", TRAINING_FIELDS, TRAINING_ALIASES)])
def test_every_documented_header_alias_is_recognised_as_its_field(title, fields, index):
    documented = documented_fields(title)
    assert len(documented) == len(fields)
    for name, (_, _, aliases) in documented.items():
        assert aliases, name
        for alias in aliases:
            assert index.get(label_key(alias)) == name, (alias, name)


@pytest.mark.parametrize(("title", "fields"), [("Case fields", CASE_FIELDS), ("Training roster fields",
                                                                                 TRAINING_FIELDS)])
def test_the_documentation_lists_every_field_with_its_type_requirement_and_aliases(title, fields: tuple[Field, ...]):
    documented = documented_fields(title)
    assert list(documented) == [f.name for f in fields]
    for f in fields:
        assert documented[f.name] == (f.kind.value, f.required, list(f.aliases)), f.name


def test_every_documented_value_alias_is_recognised_and_every_value_is_documented():
    documented: dict[str, dict[str, list[str]]] = {}
    for field, value, aliases in _rows(_section("Value vocabularies"), 3):
        documented.setdefault(field, {})[value] = _aliases(aliases)
    for field, values in documented.items():
        index = value_index(field)
        for value, aliases in values.items():
            for alias in (value, *aliases):
                assert index.get(label_key(alias)) == value, (field, alias)
    assert documented == {field: {v: list(a) for v, a in vocabulary.items()}
                          for field, vocabulary in VOCABULARIES.items()}


def test_the_summary_labels_are_documented():
    labels = _section("Report-level facts").split("Labels the summary sheet is read by")[1]
    documented = {r[0]: _aliases(r[1]) for r in _rows(labels, 2)}
    assert documented == {fact: list(labels) for fact, labels in SUMMARY_LABELS.items()}


def test_the_documented_reasons_are_the_code_s_in_order():
    table = _rows(_section("What ingest guarantees"), 3)
    assert [r[1].strip("`") for r in table if r[0] == "quarantined"] == [r.value for r in Reason]
    assert [r[1].strip("`") for r in table if r[0] == "skipped"] == [s.value for s in Skip]
