"""The format as data stays honest: aliases unique per part, report-format.md's aliases all recognised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.vocabulary import (
    CASE_ALIASES,
    CASE_FIELDS,
    TRAINING_FIELDS,
    VOCABULARIES,
    label_key,
    value_index,
)

DESIGN = Path(__file__).resolve().parents[2] / "shared" / "design" / "report-format.md"


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


@pytest.mark.skipif(not DESIGN.exists(), reason="shared/design is not beside the checkout")
def test_every_header_alias_in_the_format_document_is_recognised():
    text = DESIGN.read_text(encoding="utf-8")
    table = text.split("## Case fields")[1].split("Unknown extra columns")[0]
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not re.fullmatch(r"[a-z_]+", cells[0]) or cells[0] == "canonical":
            continue
        for alias in re.split(r"\s+/\s+|\s*,\s*", cells[3].replace("(values: dpo, legal, controller)", "")):
            if alias:
                assert CASE_ALIASES.get(label_key(alias)) == cells[0], (alias, cells[0])


def test_every_value_alias_in_the_format_document_is_recognised():
    if not DESIGN.exists():
        pytest.skip("shared/design is not beside the checkout")
    text = DESIGN.read_text(encoding="utf-8").split("## Value vocabularies")[1].split("- booleans")[0]
    for field, body in re.findall(r"- (request_type|channel|outcome): (.*?)(?=\n- |\Z)", text, re.S):
        index = value_index(field)
        for canonical, aliases in re.findall(r"(\w+) \(([^)]*)\)", body):
            for alias in aliases.split(","):
                assert index.get(label_key(alias)) == canonical, (field, alias)
