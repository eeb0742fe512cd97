"""`oversight export pack|letter`: files written, one line or one JSON document, refusals with exit code 2."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest

from tests.conftest import run_cli
from tests.test_export_pack import BELCALL, SHEETS


def test_export_pack_writes_the_workbook_and_says_where(cli_env, checked_demo_db):
    code, out, err = run_cli("export", "pack", "--processor", BELCALL, "--period", "2026-10", "--out", "pack.xlsx")
    assert code == 0, err
    digest = hashlib.sha256((cli_env.folder / "pack.xlsx").read_bytes()).hexdigest()
    assert out.startswith(f"Wrote the oversight pack of {BELCALL} for 2026-10 to pack.xlsx (")
    assert f"SHA-256 {digest}); recorded as audit event 10." in out
    assert openpyxl.load_workbook(cli_env.folder / "pack.xlsx").sheetnames == SHEETS


def test_export_json_gives_file_hash_size_and_event(cli_env, checked_demo_db):
    code, out, _ = run_cli("export", "letter", "--processor", BELCALL, "--out", "letter.docx", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    letter = cli_env.folder / "letter.docx"
    assert doc == {"file": "letter.docx", "sha256": hashlib.sha256(letter.read_bytes()).hexdigest(),
                   "bytes": letter.stat().st_size, "audit_event": 10,  # 8 reports and a check run before
                   "letter_id": doc["letter_id"], "language": "en", "kind": "findings"}
    assert doc["letter_id"].startswith("L-")
    code, out, _ = run_cli("audit", "list", "--action", "export", "--format", "json")
    assert [e["details"]["file"] for e in json.loads(out)] == ["letter.docx"]


def test_export_letter_refuses_a_spreadsheet_and_names_the_formats(cli_env, checked_demo_db):
    code, _, err = run_cli("export", "letter", "--processor", BELCALL, "--out", "letter.xlsx")
    assert code == 2 and "Give a file name ending in .docx or .pdf." in err
    assert not list(cli_env.folder.glob("letter.*"))


@pytest.mark.parametrize(("args", "text"), [
    (["pack", "--processor", "Belcall", "--period", "2026-10", "--out", "p.xlsx"],
     "There is no processor named 'Belcall'. Known processors: Appelia Services SRL, Belcall Antwerpen BV."),
    (["pack", "--processor", BELCALL, "--period", "2026-05", "--out", "p.xlsx"],
     "Nothing is known about Belcall Antwerpen BV for 2026-05"),
    (["pack", "--processor", BELCALL, "--period", "2026-10", "--out", "p.ods"],
     "The oversight pack is an Excel workbook: give a file name ending in .xlsx, not 'p.ods'."),
    (["letter", "--processor", BELCALL, "--out", "missing/letter.docx"],
     "could not be written to missing/letter.docx (No such file or directory); nothing was recorded."),
])
def test_refusals_exit_2_with_a_message_and_write_nothing(cli_env, checked_demo_db, args, text):
    code, out, err = run_cli("export", *args)
    assert code == 2
    assert text in err
    assert "Traceback" not in out + err
    assert not list(cli_env.folder.glob("*.xlsx")) and not list(cli_env.folder.glob("*.ods"))
    assert run_cli("audit", "list", "--action", "export", "--format", "json")[1].strip() == "[]"


def test_a_viewer_is_refused_by_the_cli(cli_env, checked_demo_db, monkeypatch):
    (cli_env.folder / "oversight.toml").write_text('[users.vic]\nroles = ["viewer"]\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_USER", "vic")
    code, _, err = run_cli("export", "pack", "--processor", BELCALL, "--period", "2026-10", "--out", "p.xlsx")
    assert code == 2
    assert "User 'vic' may not export the oversight pack" in err
