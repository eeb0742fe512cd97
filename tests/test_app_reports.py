"""The Reports page in AppTest: first start loads the demo, an upload is ingested, an unknown header is mapped."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element, Widget

from tests.conftest import with_db

W = TypeVar("W", bound=Widget)

ROOT = Path(__file__).resolve().parent.parent
NEW_PROCESSOR = "New processor…"
DEMO_MESSAGE = "The demo reports from sample_reports/ were loaded so you can look around"

# Every test runs the dashboard on its db_path: empty at first, so the first start loads the demo (conftest.app_env).
pytestmark = pytest.mark.usefixtures("app_env")

# A monthly report as a Belgian call centre's Excel writes it: Windows-1252, ';', title rows above the header,
# day-first dates, Dutch values, a total row. Row 8 has 31 November, row 9 an unknown request type.
HEADER = "{case};Datum ontvangst;Soort verzoek;Kanaal;Klantnummer;Datum antwoord;Resultaat;Opmerking intern"
REPORT = """Maandrapport privacyverzoeken – Contactpunt Gent NV;;;;;;;
Periode: november 2026;;;;;;;
;;;;;;;
{header}
CG-261103-01;03/11/2026;inzage;telefoon;KL-55120;18/11/2026;uitgevoerd;
CG-261104-01;04/11/2026;verwijdering;e-mail;KL-55121;20/11/2026;uitgevoerd;klant belde terug
CG-261105-01;05/11/2026;uitschrijving;webformulier;KL-55122;;;
CG-261106-01;31/11/2026;correctie;brief;KL-55123;;;
CG-261107-01;07/11/2026;onbekend verzoek;telefoon;KL-55124;;;
Totaal;5;;;;;;
"""


def report_bytes(case_header: str = "Dossiernummer") -> bytes:
    return REPORT.format(header=HEADER.format(case=case_header)).encode("cp1252")


def start() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.switch_page("app/reports.py")  # the Overview is the landing page
    at.run()
    assert not at.exception
    return at


def messages(elements: Iterable[Element]) -> str:
    return "\n".join(str(e.value) for e in elements)


def main_widget(widgets: Iterable[W], label: str) -> W:
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget labelled {label!r}"
    return found[0]


def upload(at: AppTest, name: str, content: bytes, processor: str, *, new: bool = True) -> AppTest:
    """Upload a file, name its processor and submission date; return the app showing the report card."""
    at.file_uploader(key="report_upload").set_value((name, content, "text/csv")).run()
    assert not at.exception
    if new:
        main_widget(at.main.selectbox, "Processor").set_value(NEW_PROCESSOR).run()
        main_widget(at.text_input, "New processor name").set_value(processor).run()
        # Issue 12 §5: a new processor's contract profile is asked, never assumed.
        main_widget(at.main.selectbox, "Contract profile of this new processor").set_value("default").run()
    else:
        main_widget(at.main.selectbox, "Processor").set_value(processor).run()
    main_widget(at.date_input, "Submitted on").set_value(date(2026, 12, 3)).run()
    assert not at.exception
    return at


def press_ingest(at: AppTest) -> AppTest:
    button = main_widget(at.button, "Ingest")
    assert not button.disabled, messages(at.caption)
    button.click().run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def test_first_start_loads_the_demo_and_shows_the_history(db_path: Path) -> None:
    at = start()
    assert DEMO_MESSAGE in messages(at.info)
    assert "Access control is off" in messages(at.sidebar.warning)
    assert [s.value for s in at.subheader] == ["Upload reports", "Inbox", "Submission history"]
    history = at.dataframe[-1].value
    assert {"current", "superseded"} <= set(history["status"])
    assert "Belcall Antwerpen BV" in set(history["processor"])
    assert not at.error


def test_sidebar_filter_goes_into_the_url(db_path: Path) -> None:
    at = start()
    at.sidebar.selectbox[0].set_value("Belcall Antwerpen BV").run()
    assert at.query_params["processor"] == "Belcall Antwerpen BV"
    assert set(at.dataframe[-1].value["processor"]) == {"Belcall Antwerpen BV"}


def test_shared_url_opens_the_filtered_view(db_path: Path) -> None:
    start()  # loads the demo
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.switch_page("app/reports.py")
    at.query_params["processor"] = "Belcall Antwerpen BV"
    at.query_params["period"] = "2026-09"
    at.run()
    assert not at.exception
    assert [s.value for s in at.sidebar.selectbox] == ["Belcall Antwerpen BV", "2026-09"]
    history = at.dataframe[-1].value
    assert set(history["period"]) == {"2026-09"}
    assert sorted(history["status"]) == ["current", "superseded"]
    assert "added" in messages(at.markdown)


def test_uploaded_report_is_ingested_with_counts_and_quarantine(db_path: Path) -> None:
    at = upload(start(), "contactpunt_2026-11.csv", report_bytes(), "Contactpunt Gent NV")
    assert main_widget(at.text_input, "Period (YYYY-MM)").value == "2026-11"
    assert "delimiter `;`" in messages(at.caption)
    press_ingest(at)
    assert "loaded as submission" in messages(at.success)
    counts = metrics(at)
    assert counts["Loaded"] == "3"
    assert counts["Quarantined"] == "2"
    quarantine = next(df.value for df in at.dataframe if "reasons" in df.value.columns)
    assert list(quarantine["case id"]) == ["CG-261106-01", "CG-261107-01"]
    assert list(quarantine["reasons"]) == ["bad_date", "unknown_value"]
    history = at.dataframe[-1].value
    assert "contactpunt_2026-11.csv" in set(history["file"])


def test_same_file_again_is_a_duplicate(db_path: Path) -> None:
    at = press_ingest(upload(start(), "contactpunt_2026-11.csv", report_bytes(), "Contactpunt Gent NV"))
    at.file_uploader(key="report_upload").set_value(None).run()
    at = press_ingest(upload(at, "contactpunt_2026-11.csv", report_bytes(), "Contactpunt Gent NV", new=False))
    assert "duplicate. This exact file" in messages(at.info)
    assert "nothing was written" in messages(at.info)


def test_unknown_header_is_mapped_in_the_form_and_remembered(db_path: Path) -> None:
    at = upload(start(), "gent_2026-11.csv", report_bytes("Dossier nr."), "Gent Contact NV")
    assert "Required field(s) not found in the header: case_id" in messages(at.warning)
    assert main_widget(at.button, "Ingest").disabled
    main_widget(at.selectbox, '"Dossier nr."').set_value("case_id").run()
    press_ingest(at)
    assert "loaded as submission" in messages(at.success)
    assert metrics(at)["Loaded"] == "3"

    # The next report of that processor maps by itself.
    at.file_uploader(key="report_upload").set_value(None).run()
    december = report_bytes("Dossier nr.").replace(b"/11/2026", b"/12/2026").replace(b"november", b"december")
    at = upload(at, "gent_2026-12.csv", december, "Gent Contact NV", new=False)
    assert "Required field(s) not found" not in messages(at.warning)
    columns = next(df.value for df in at.dataframe if "header" in df.value.columns)
    assert columns.set_index("header").loc["Dossier nr.", "field"] == "case_id"

    saved = with_db(lambda con: con.execute("SELECT m.header, m.field FROM mappings m JOIN processors p "
                                            "USING (processor_id) WHERE p.name = 'Gent Contact NV'").fetchall())
    assert ("Dossier nr.", "case_id") in saved


def test_refused_period_is_shown_as_a_message(db_path: Path) -> None:
    at = upload(start(), "rapport.csv", report_bytes(), "Contactpunt Gent NV")
    period = main_widget(at.text_input, "Period (YYYY-MM)")
    assert period.value == "2026-11"  # from the title row
    period.set_value("november").run()
    assert main_widget(at.button, "Ingest").disabled
    assert "give the period as YYYY-MM" in messages(at.caption)


def test_inbox_file_is_ingested_and_moved_to_processed(db_path: Path) -> None:
    waiting = db_path.parent / "inbox" / "Contactpunt Gent NV" / "contactpunt_2026-11.csv"
    waiting.parent.mkdir(parents=True)
    waiting.write_bytes(report_bytes())
    at = start()
    assert "Processor: **Contactpunt Gent NV** (from the inbox sub-folder)" in messages(at.markdown)
    main_widget(at.date_input, "Submitted on").set_value(date(2026, 12, 3)).run()
    main_widget(at.main.selectbox, "Contract profile of this new processor").set_value("nl").run()
    press_ingest(at)
    assert with_db(lambda con: con.execute("SELECT profile FROM processors WHERE name = 'Contactpunt Gent NV'")
                   .fetchall()) == [("nl",)]
    assert "loaded as submission" in messages(at.success)
    assert not waiting.exists()
    assert (db_path.parent / "inbox" / "processed" / "Contactpunt Gent NV" / "contactpunt_2026-11.csv").exists()
    assert "No files are waiting in the inbox" in messages(at.caption)


def test_unreadable_file_is_refused_with_a_message(db_path: Path) -> None:
    at = start()
    at.file_uploader(key="report_upload").set_value(("broken.csv", b"\x00\x01\x02garbage", "text/csv")).run()
    assert not at.exception
    assert "broken.csv" in messages(at.error)
    assert not [b for b in at.button if b.label == "Ingest"]


def test_viewer_is_not_offered_the_upload_and_is_told_why(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = db_path.parent / "oversight.toml"
    config.write_text('[users.vera]\nroles = ["viewer"]\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_USER", "vera")
    at = start()
    assert "may not load the demo reports" in messages(at.error)
    assert "Access control is off" not in messages(at.sidebar.warning)
    assert "No reports yet" in messages(at.info)
    assert "Uploading reports needs the compliance officer role" in messages(at.info)
    assert not at.get("file_uploader")  # not offered; the service refuses anyway (tests/test_cli.py)
