"""The shared vocabularies (vocab/) are declared once and everything else follows them: severities, finding states,
the review rubric and the contract parameters. Adding one is one entry in vocab/; these tests say what else must
then hold, and the layering that lets every package import vocab/."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from checks.catalog import CHECKS
from checks.contract import load_profile
from checks.errors import InvalidProfile
from checks.profile_model import Parameters
from checks.profile_schema import FINDING_SEVERITIES, RUBRIC_ITEMS
from vocab.parameters import PARAMETERS, SQL_TYPES, Kind
from vocab.rubric import ITEMS, RUBRIC, RUBRICS
from vocab.severity import FINDING_FROM_CHECK, OLD_WORDS, FindingSeverity, Severity, finding_severity, read

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("vocab", "store", "ingest", "checks", "spotchecks", "findings", "exports", "metrics", "commands", "app",
           "sample_reports", "contracts", "cli", "dashboard")


def project_imports(folder: str) -> dict[str, set[str]]:
    """Module file → the top-level project packages it imports (at any depth, lazy imports included)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
        found[path.name] = names & set(PROJECT)
    return found


def test_vocab_imports_nothing_of_the_project():
    assert {name: imports for name, imports in project_imports("vocab").items() if imports} == {}


@pytest.mark.parametrize("layer, above", [
    ("checks", {"spotchecks", "findings", "exports", "metrics", "commands", "app"}),
    ("store", {"ingest", "checks", "spotchecks", "findings", "exports", "metrics", "commands", "app"}),
])
def test_a_layer_imports_nothing_above_it(layer, above):
    assert {name: imports & above for name, imports in project_imports(layer).items() if imports & above} == {}


# --- severities --------------------------------------------------------------------------------------------------

def test_every_check_severity_says_what_finding_it_raises():
    assert set(FINDING_FROM_CHECK) == set(Severity)
    assert all(v is None or isinstance(v, FindingSeverity) for v in FINDING_FROM_CHECK.values())


def test_old_words_map_to_severities_of_today_and_are_not_written_any_more():
    for word, severity in OLD_WORDS.items():
        assert word not in {s.value for s in Severity}
        assert read(word) is severity
    assert all(read(s.value) is s for s in Severity)


def test_every_finding_severity_has_days_to_remedy_in_the_default_profile():
    assert tuple(s.value for s in FindingSeverity) == FINDING_SEVERITIES
    assert set(load_profile("default").finding_due_days) == set(FINDING_SEVERITIES)


def test_catalog_severities_come_from_vocab():
    assert {c.severity for c in CHECKS} <= set(Severity)
    assert all(finding_severity(c.severity.value) is FINDING_FROM_CHECK[c.severity] for c in CHECKS)


# --- the rubric --------------------------------------------------------------------------------------------------

def test_the_profile_rubric_keys_are_the_rubric_items():
    assert RUBRIC_ITEMS == tuple(item.id for item in RUBRIC) == tuple(ITEMS)
    assert set(load_profile("default").rubric_clauses) == set(ITEMS)
    assert all(item.question.endswith("?") and item.basis for item in RUBRIC)
    assert all(len({i.id for i in items}) == len(items) for items in RUBRICS.values())


# --- contract parameters -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("parameter", PARAMETERS, ids=lambda p: p.name)
def test_every_parameter_is_declared_whole(parameter):
    assert parameter.kind in SQL_TYPES and parameter.meaning.endswith(".")
    if parameter.kind is Kind.WHOLE:
        assert isinstance(parameter.default, int) and parameter.minimum <= parameter.default
        assert parameter.maximum is None or parameter.default <= parameter.maximum
    elif parameter.kind is Kind.LIST:
        assert isinstance(parameter.default, tuple) and parameter.vocabulary
    elif parameter.kind is Kind.SHARE:
        assert isinstance(parameter.default, float) and 0 <= parameter.default <= 1
    elif parameter.kind is Kind.CHOICE:
        assert isinstance(parameter.default, str) and parameter.default in parameter.choices
    else:
        assert isinstance(parameter.default, bool)


def test_the_profile_parameters_are_the_declared_ones_and_the_default_profile_holds_their_defaults():
    assert list(Parameters.__dataclass_fields__) == [p.name for p in PARAMETERS]
    default = load_profile("default").parameters
    assert {p.name: getattr(default, p.name) for p in PARAMETERS} == {p.name: p.default for p in PARAMETERS}
    stated = tomllib.loads((ROOT / "contracts" / "default.toml").read_text(encoding="utf-8"))["parameters"]
    assert list(stated) == [p.name for p in PARAMETERS], "default.toml states every parameter, in declared order"


@pytest.mark.parametrize("parameter", PARAMETERS, ids=lambda p: p.name)
def test_every_parameter_is_used_and_documented(parameter):
    code = "\n".join(path.read_text(encoding="utf-8") for folder in ("checks", "spotchecks", "findings")
                     for path in (ROOT / folder).glob("*.py"))
    assert parameter.name in code, f"{parameter.name} is declared but no check or service reads it"
    assert f"| `{parameter.name}` |" in (ROOT / "docs" / "checks.md").read_text(encoding="utf-8"), "documented"


def test_a_profile_may_leave_out_a_parameter_with_a_default_but_not_a_contract_term(tmp_path):
    text = (ROOT / "contracts" / "default.toml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    optional = [p for p in PARAMETERS if not p.required]
    assert optional
    without = "".join(line for line in lines if not any(line.startswith(f"{p.name} =") for p in optional))
    (tmp_path / "default.toml").write_text(without, encoding="utf-8")
    lenient = load_profile("default", tmp_path)
    assert {p.name: getattr(lenient.parameters, p.name) for p in optional} == {p.name: p.default for p in optional}
    assert lenient.sha256 == load_profile("default").sha256  # the hash covers the parameters as applied
    (tmp_path / "default.toml").write_text(text.replace("due_soon_days = 7", "# due_soon_days"), encoding="utf-8")
    with pytest.raises(InvalidProfile, match=r"parameters\.due_soon_days`: is missing"):
        load_profile("default", tmp_path)
