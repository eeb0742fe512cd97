"""Letters to a processor as real files (issue 15 item 5): .docx read back with python-docx, .pdf with pypdf, in
Dutch, French and English; no data-subject reference; stored with the hash of its audit event; the escalation ladder
in order; a processor user never reaches another processor's letters."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from datetime import date
from importlib import resources
from pathlib import Path

import docx
import duckdb
import pypdf
import pytest

from checks.profiles import load_profile
from exports.letter import escalate, export_letter, letter_content, list_letters
from exports.letter_doc import Addressee, Signer, findings_letter
from exports.letter_docx import docx_bytes
from exports.letter_pdf import pdf_bytes
from findings.escalation import EscalationRefused, steps_taken
from findings.queries import get_finding
from findings.raising import raise_from_checks
from findings.service import move
from i18n import UnknownLanguage
from i18n.compile import read_catalog
from store import audit
from store.identity import User
from store.scope import OutOfScope
from tests import test_export_pack as pack_tests
from tests.conftest import run_cli
from tests.test_export_pack import APPELIA, BELCALL, OFFICER

demo = pack_tests.demo  # the checked demo database of the pack tests, copied per test

AS_OF = date(2026, 11, 28)
PHRASES = {
    "nl": ["Geachte heer, geachte mevrouw,", "Ons kenmerk: L-2026-0001", "Datum: 28 november 2026",
           "Wij stelden dit vast in één van uw dossiers van oktober 2026.", "Wat wij van u verwachten",
           "Verzoeken werden na de wettelijke termijn beantwoord.", "Bijlage: de betrokken dossiers",
           "Wij verzoeken u dit uiterlijk op 20 november 2026 te verhelpen.", "Met vriendelijke groet,"],
    "fr": ["Madame, Monsieur,", "Notre référence : L-2026-0001", "Date : 28 novembre 2026",
           "Nous l'avons constaté dans un de vos dossiers de octobre 2026.", "Ce que nous attendons de vous",
           "Des demandes ont reçu une réponse après le délai légal.", "Annexe : les dossiers concernés",
           "Nous vous demandons d'y remédier au plus tard le 20 novembre 2026."],
    "en": ["Dear Sir or Madam,", "Our reference: L-2026-0001", "Date: 28 November 2026",
           "We found this in one of your cases from October 2026.", "What we expect from you",
           "Requests were answered after the legal deadline.", "Annex: the cases concerned",
           "Please remedy it by 20 November 2026.", "Yours faithfully,"],
}


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return " ".join(" ".join([p.text for p in document.paragraphs] + cells).split())


def docx_body(data: bytes) -> str:
    """The letter before its annex (paragraphs only: the annex's case table is not in them)."""
    return docx_text(data).split("Annex")[0].split("Bijlage")[0].split("Annexe")[0]


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def english_templates() -> list[str]:
    """The longest literal part of each English sentence of the catalog (placeholders cut out)."""
    out = []
    for m in read_catalog("en"):
        for msgid in ((m.id,) if isinstance(m.id, str) else m.id) if m.id else ():
            if m.context in (None, "finding"):
                longest = max(re.split(r"\{\w+\}", msgid), key=len).strip()
                if len(longest) >= 12:
                    out.append(longest)
    return out


@pytest.fixture
def findings(demo: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Belcall's October findings from the checks: the late answer notified, one closed, one dismissed."""
    raised = sorted(r.finding_id for r in raise_from_checks(demo, OFFICER, BELCALL, "2026-10",
                                                            today=date(2026, 11, 6)))
    late, overdue, optout, quarantined, _roster = raised
    for status in ("notified", "remediation_planned", "remediated", "closed"):
        move(demo, OFFICER, optout, status)
    move(demo, OFFICER, quarantined, "dismissed", reason="false positive: the row was a test line")
    move(demo, OFFICER, late, "notified")
    return {"late": late, "overdue": overdue, "closed": optout}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_letter_reads_in_its_language_as_docx_and_pdf(demo, findings, tmp_path, language):
    texts = {}
    for fmt in ("docx", "pdf"):
        out = tmp_path / f"letter.{fmt}"
        sent = export_letter(demo, OFFICER, BELCALL, out, language=language, as_of=AS_OF)
        assert (sent.language, sent.kind) == (language, "findings")
        data = out.read_bytes()
        texts[fmt] = docx_text(data) if fmt == "docx" else pdf_text(data)
        demo.execute("DELETE FROM letters")  # both formats carry the first reference of the year
    for fmt, text in texts.items():
        for phrase in PHRASES[language]:
            assert phrase in text, (fmt, phrase)
        assert BELCALL in text and findings["late"] in text and findings["closed"] not in text
        if language != "en":
            assert [t for t in english_templates() if t in text] == [], fmt


def test_the_language_comes_from_the_register_else_english(demo, findings, tmp_path):
    assert export_letter(demo, OFFICER, BELCALL, tmp_path / "a.docx", as_of=AS_OF).language == "en"
    demo.execute("UPDATE processors SET language = 'FR' WHERE name = ?", [BELCALL])  # as the register stores it
    sent = export_letter(demo, OFFICER, BELCALL, tmp_path / "b.docx", as_of=AS_OF)
    assert sent.language == "fr" and "Madame, Monsieur," in docx_text((tmp_path / "b.docx").read_bytes())
    assert export_letter(demo, OFFICER, BELCALL, tmp_path / "c.pdf", language="nl", as_of=AS_OF).language == "nl"
    with pytest.raises(UnknownLanguage, match="The languages are: nl, fr, en"):
        export_letter(demo, OFFICER, BELCALL, tmp_path / "d.pdf", language="de", as_of=AS_OF)


def test_the_addressee_block_holds_the_register_name_and_contacts() -> None:
    letter = findings_letter(language="nl", reference="L-2026-0009",
                             addressee=Addressee("Belcall Antwerpen BV", ("DPO", "dpo@belcall.example")),
                             profile=load_profile("default"), findings=[], today=AS_OF, signer=Signer("vera",
                                                                                                      "vendor_manager"))
    data = docx_bytes(letter)
    assert docx_text(data).startswith("Belcall Antwerpen BV DPO dpo@belcall.example Ons kenmerk: L-2026-0009 "
                                      "Datum: 28 november 2026")
    assert "Wij hebben op dit moment geen openstaande bevinding" in pdf_text(pdf_bytes(letter))
    assert "vera Leveranciersmanager Namens de verwerkingsverantwoordelijke" in docx_text(data)


def test_no_data_subject_reference_and_no_case_id_in_the_body(demo, findings, tmp_path):
    pseudonyms = [r[0] for r in demo.execute("SELECT DISTINCT data_subject_ref FROM cases "
                                             "WHERE data_subject_ref IS NOT NULL").fetchall()]
    reports = resources.files("sample_reports").joinpath("belcall")
    raw = {ref for f in reports.iterdir() if f.name.endswith(".csv")
           for ref in re.findall(r"KL-\d+", f.read_text(encoding="cp1252"))}
    assert pseudonyms and raw
    case_ids = [str(c) for c in get_finding(demo, findings["late"])["case_ids"]]  # type: ignore[union-attr]
    for fmt in ("docx", "pdf"):
        out = tmp_path / f"letter.{fmt}"
        export_letter(demo, OFFICER, BELCALL, out, language="nl", as_of=AS_OF)
        data = out.read_bytes()
        text = docx_text(data) if fmt == "docx" else pdf_text(data)
        assert not [r for r in pseudonyms if r in text] and not [r for r in raw if r in text]
        assert all(c in text for c in case_ids)  # in the annex, by the processor's own case id
        if fmt == "docx":
            assert not [c for c in case_ids if c in docx_body(data)]


def test_the_stored_letter_and_its_audit_event_carry_the_hash_of_the_file(demo, findings, tmp_path):
    out = tmp_path / "letter.pdf"
    sent = export_letter(demo, OFFICER, BELCALL, out, language="fr", as_of=AS_OF)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    [event] = audit.list_events(demo, action="export.letter")
    assert event["details"]["sha256"] == digest == sent.sha256
    assert event["details"]["letter_id"] == sent.letter_id and event["details"]["language"] == "fr"
    row, stored = letter_content(demo, OFFICER, sent.letter_id)
    assert stored == out.read_bytes() and row["sha256"] == digest


def test_a_spreadsheet_letter_is_refused(demo, findings, tmp_path):
    from exports.errors import UnsupportedFormat
    with pytest.raises(UnsupportedFormat, match=r"Give a file name ending in \.docx or \.pdf"):
        export_letter(demo, OFFICER, BELCALL, tmp_path / "letter.xlsx")
    assert not list(tmp_path.glob("letter.*")) and not list_letters(demo, OFFICER)


def test_the_ladder_goes_one_step_at_a_time_each_a_stored_hashed_letter(demo, findings, tmp_path):
    late = findings["late"]
    export_letter(demo, OFFICER, BELCALL, tmp_path / "letter.docx", language="nl", as_of=date(2026, 11, 7))
    with pytest.raises(EscalationRefused, match="the next step is reminder"):
        escalate(demo, OFFICER, late, "suspension", tmp_path / "s.pdf", as_of=AS_OF)
    with pytest.raises(EscalationRefused, match="has not been sent to the processor yet"):
        escalate(demo, OFFICER, findings["overdue"], "reminder", tmp_path / "r.pdf", as_of=AS_OF)
    sent = escalate(demo, OFFICER, late, "reminder", tmp_path / "reminder.docx", language="nl", as_of=AS_OF)
    text = docx_text((tmp_path / "reminder.docx").read_bytes())
    assert f"Herinnering: bevinding {late} wacht op uw antwoord" in text
    assert "uiterlijk op 12 december 2026 te beantwoorden" in text  # 14 days
    assert f"bevinding {late} (ons kenmerk L-2026-0001)" in text  # the findings letter that notified it
    with pytest.raises(EscalationRefused, match="the next step is formal_notice"):
        escalate(demo, OFFICER, late, "termination", tmp_path / "t.pdf", as_of=AS_OF)
    notice = escalate(demo, OFFICER, late, "formal_notice", tmp_path / "notice.pdf", language="fr", as_of=AS_OF)
    assert "Mise en demeure" in pdf_text((tmp_path / "notice.pdf").read_bytes())
    assert steps_taken(demo, late) == ["reminder", "formal_notice"]
    events = audit.list_events(demo, action="letter.sent")
    assert sorted(e["details"]["sha256"] for e in events) == sorted([
        hashlib.sha256((tmp_path / "reminder.docx").read_bytes()).hexdigest(),
        hashlib.sha256((tmp_path / "notice.pdf").read_bytes()).hexdigest()])
    history = [h for h in get_finding(demo, late)["history"] if h["action"] == "escalated"]  # type: ignore[union-attr]
    assert [(h["details"]["step"], h["details"]["letter_id"]) for h in history] == \
        [("reminder", sent.letter_id), ("formal_notice", notice.letter_id)]
    assert not (tmp_path / "s.pdf").exists() and not (tmp_path / "t.pdf").exists()


def test_a_processor_user_sees_only_its_own_letters(demo, findings, tmp_path):
    sent = export_letter(demo, OFFICER, BELCALL, tmp_path / "letter.docx", as_of=AS_OF)
    other = User("p", ("processor",), processor=APPELIA)
    with pytest.raises(OutOfScope):
        list_letters(demo, other, BELCALL)
    with pytest.raises(OutOfScope):
        letter_content(demo, other, sent.letter_id)
    with pytest.raises(OutOfScope):
        escalate(demo, other, findings["late"], "reminder", tmp_path / "r.docx")
    assert list_letters(demo, other) == []
    own = User("b", ("processor",), processor=BELCALL)
    assert [r["letter_id"] for r in list_letters(demo, own)] == [sent.letter_id]
    assert letter_content(demo, own, sent.letter_id)[1] == (tmp_path / "letter.docx").read_bytes()


def test_a_clause_is_quoted_in_the_letters_language_when_the_profile_gives_it(demo, findings, tmp_path,
                                                                              monkeypatch):
    contracts = tmp_path / "contracts"
    shutil.copytree(Path(str(resources.files("contracts"))), contracts,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    default = contracts / "default.toml"
    wording = default.read_text(encoding="utf-8").replace(
        'ref = "SCC 8(b)"\ntitle = "Assistance to the controller"\n',
        'ref = "SCC 8(b)"\ntitle = "Assistance to the controller"\n'
        'text = { nl = "De verwerker staat de verwerkingsverantwoordelijke onverwijld bij.", '
        'fr = "Le sous-traitant assiste sans tarder le responsable du traitement." }\n', 1)
    default.write_text(wording, encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(contracts))
    export_letter(demo, OFFICER, BELCALL, tmp_path / "nl.docx", language="nl", as_of=AS_OF)
    export_letter(demo, OFFICER, BELCALL, tmp_path / "en.docx", language="en", as_of=AS_OF)
    assert "De verwerker staat de verwerkingsverantwoordelijke onverwijld bij." in docx_text(
        (tmp_path / "nl.docx").read_bytes())
    assert "Help the controller respond to data-subject requests" in docx_text((tmp_path / "en.docx").read_bytes())


def test_oversight_findings_escalate_writes_the_letter_or_refuses_with_exit_2(cli_env, checked_demo_db):

    code, out, err = run_cli("findings", "raise", "--from-checks", "--processor", BELCALL, "--period", "2026-10",
                             "--format", "json")
    assert code == 0, err
    first = sorted(f["finding_id"] for f in json.loads(out))[0]
    assert run_cli("findings", "move", first, "notified")[0] == 0
    code, _, err = run_cli("findings", "escalate", first, "--step", "suspension", "--out", "s.pdf")
    assert code == 2 and "the next step is reminder" in err and "Traceback" not in err
    code, out, err = run_cli("findings", "escalate", first, "--step", "reminder", "--out", "r.pdf", "--language",
                             "fr", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    data = (cli_env.folder / "r.pdf").read_bytes()
    assert doc["sha256"] == hashlib.sha256(data).hexdigest() and doc["kind"] == "reminder"
    assert "Rappel" in pdf_text(data)
