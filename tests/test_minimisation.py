"""Minimisation at ingest (issue 17 item 1; GDPR Art. 5(1)(c), 25), on real files: case notes are not stored unless
the configuration opts in, and agent names (a profile's agent_ids = "names") are stored only as their pseudonyms,
so the roster still matches the cases but no name sits in the database file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pseudonym import load_key
from ingest.service import ingest_report
from store.db import connect
from store.errors import ConfigError
from store.users_file import load_config
from tests.checkkit import run
from tests.reportkit import write_workbook

PROCESSOR = "Testcall BV"
NOTE = "Mevrouw Wuyts belde huilend over haar man"
HEADER = "Case ID;Received;Request type;Customer ID;Commentaire"
ROWS = [
    f"N-1;01/10/2026;access;CUST-1;{NOTE}",
    "N-2;02/10/2026;access;CUST-2;Second note about Mr Claes",
    "N-3;03/10/2026;access;CUST-3;",
    "N-4;31/02/2026;access;CUST-4;Quarantined row's note of Ms Peeters",  # bad date: quarantined with raw values
]


@pytest.fixture(autouse=True)
def no_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration from the environment: each test says what it configures."""
    monkeypatch.delenv("OVERSIGHT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def _report(tmp_path: Path) -> Path:
    path = tmp_path / "testcall_2026-10.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def _file_bytes(db_path: Path) -> bytes:
    data = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + ".wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def test_notes_are_not_stored_by_default_and_the_count_is_reported(con, officer, key_path, db_path, tmp_path):
    result = ingest_report(con, _report(tmp_path), user=officer, key_path=key_path, processor=PROCESSOR,
                           period="2026-10")
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    assert result.notes_dropped == 3  # N-1, N-2 and the quarantined N-4; N-3 had none
    assert any("3 case note(s) were not stored" in n for n in result.notes)
    counts = json.loads(con.execute("SELECT counts FROM submissions").fetchall()[0][0])
    assert counts["cases"]["notes_dropped"] == 3  # stored with the submission
    assert con.execute("SELECT count(summary) FROM cases").fetchall()[0][0] == 0
    raw = con.execute("SELECT CAST(raw AS VARCHAR) FROM quarantine").fetchall()[0][0]
    assert "Peeters" not in raw and "N-4" in raw
    con.close()
    data = _file_bytes(db_path)
    for text in (NOTE, "Mr Claes", "Ms Peeters"):
        assert text.encode() not in data


def test_notes_are_stored_when_the_configuration_opts_in(con, officer, key_path, db_path, tmp_path, monkeypatch):
    config = tmp_path / "oversight.toml"
    config.write_text('[access]\nmode = "local"\n\n[ingest]\nkeep_notes = true\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONFIG", str(config))
    assert load_config().keep_notes is True
    result = ingest_report(con, _report(tmp_path), user=officer, key_path=key_path, processor=PROCESSOR,
                           period="2026-10")
    assert result.notes_dropped == 0
    assert con.execute("SELECT summary FROM cases WHERE case_id = 'N-1'").fetchall()[0][0] == NOTE
    con.close()
    assert NOTE.encode() in _file_bytes(db_path)


@pytest.mark.parametrize(("text", "message"), [
    ("[ingest]\nkeep_notes = \"yes\"\n", "must be true or false"),
    ("[ingest]\nkeep_note = true\n", "unknown key(s) keep_note"),
    ("[ingest]\nkeep_notes = false\n", None),
])
def test_the_ingest_table_takes_a_switch_and_refuses_unknown_keys(tmp_path, text, message):
    path = tmp_path / "checked.toml"
    path.write_text('[access]\nmode = "local"\n\n' + text, encoding="utf-8")
    if message is None:
        assert load_config(path).keep_notes is False
        return
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(path)


CASE = {"received_on": "2026-10-05", "request_type": "rectification", "identity_verified": True,
        "responded_on": "2026-10-06", "outcome": "fulfilled"}


def test_agent_names_are_pseudonymised_and_the_training_checks_still_match(con, officer, key_path, db_path,
                                                                            tmp_path):
    path = write_workbook(tmp_path, "testcall_2026-10.xlsx", [
        {"case_id": "T-1", **CASE, "agent_id": "Marieke Vandenbroucke"},
        {"case_id": "T-2", **CASE, "agent_id": "Marieke Vandenbroucke"},
        {"case_id": "T-3", **CASE, "agent_id": "Koenraad Nieuwenhuys"},  # not on the roster
        {"case_id": "T-4", **CASE, "agent_id": "Goedele Verhaegen"},
    ], [
        {"agent_id": "Marieke Vandenbroucke", "trained_on": "2025-03-01", "confidentiality_signed_on": "2020-01-06"},
        {"agent_id": "Goedele Verhaegen", "trained_on": "2026-02-01", "confidentiality_signed_on": "2024-05-02"},
        {"agent_id": "Wannes Dierickx", "trained_on": "2026-02-01"},  # on the roster, no undertaking
    ])
    ingest_report(con, path, user=officer, key_path=key_path, processor=PROCESSOR, period="2026-10",
                  agent_ids_for=lambda processor: "names")
    key = load_key(key_path)
    found = run(con, period="2026-10", as_of="2026-11-30")
    [stale] = found.of("training.not_current")
    assert stale["details"]["agent_id"] == key.pseudonym("Marieke Vandenbroucke")
    assert stale["details"]["cases"] == ["T-1", "T-2"]
    [unknown] = found.of("training.agent_unknown")
    assert (unknown["details"]["agent_id"], unknown["details"]["cases"]) == (key.pseudonym("Koenraad Nieuwenhuys"),
                                                                            ["T-3"])
    [unsigned] = found.of("confidentiality.not_signed")
    assert unsigned["details"]["agent_id"] == key.pseudonym("Wannes Dierickx")
    assert not found.of("training.agent_missing")
    kinds = dict(con.execute("SELECT kind, count(*) FROM pseudonyms GROUP BY kind").fetchall())
    assert kinds == {"agent": 4}
    con.close()
    data = _file_bytes(db_path)
    for name in ("Marieke", "Vandenbroucke", "Koenraad", "Goedele", "Wannes", "Dierickx"):
        assert name.encode() not in data, name


def test_agent_codes_are_kept_as_they_are_by_default(con, officer, key_path, tmp_path):
    path = write_workbook(tmp_path, "testcall_2026-10.xlsx", [{"case_id": "T-1", **CASE, "agent_id": "AG03"}],
                          [{"agent_id": "AG03", "trained_on": "2026-02-01", "confidentiality_signed_on": "2024-05-02"}])
    ingest_report(con, path, user=officer, key_path=key_path, processor=PROCESSOR, period="2026-10")
    assert con.execute("SELECT agent_id FROM cases").fetchall() == [("AG03",)]
    assert con.execute("SELECT agent_id FROM training").fetchall() == [("AG03",)]


def test_the_default_profile_says_codes(tmp_path):
    from checks.contract import agent_ids
    from checks.profiles import load_profile

    assert load_profile("default").parameters.agent_ids == "codes"
    con = connect(tmp_path / "x.duckdb")
    try:
        assert agent_ids(con, "Nobody BV") == "codes"
    finally:
        con.close()


def test_a_resubmission_without_notes_does_not_copy_earlier_notes_into_its_diff(con, officer, key_path, tmp_path):
    ingest_report(con, _report(tmp_path), user=officer, key_path=key_path, processor=PROCESSOR, period="2026-10",
                  keep_notes=True)
    again = tmp_path / "testcall_2026-10_v2.csv"
    again.write_text("\n".join([HEADER, ROWS[0], ROWS[1], ROWS[2].replace("03/10", "04/10")]) + "\n",
                     encoding="utf-8")
    result = ingest_report(con, again, user=officer, key_path=key_path, processor=PROCESSOR, period="2026-10")
    assert [(c["case_id"], c["field"]) for c in result.field_changes] == [("N-3", "received_on")]
    stored = con.execute("SELECT CAST(changes AS VARCHAR) FROM submissions WHERE status = 'current'").fetchall()
    assert NOTE not in stored[0][0]


def test_a_profile_with_another_agent_ids_is_refused(tmp_path):
    from checks.errors import InvalidProfile
    from checks.profiles import load_profile

    (tmp_path / "odd.toml").write_text('extends = "default"\n\n[parameters]\nagent_ids = "initials"\n',
                                       encoding="utf-8")
    with pytest.raises(InvalidProfile, match="agent_ids"):
        load_profile("odd", tmp_path)
