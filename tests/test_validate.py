"""Row rules: every reason code, skipped rows, and counts that add up (docs/report-format.md guarantees)."""

from __future__ import annotations

from tests.conftest import HEADER_NL, nl_row


def quarantined(con, submission_id: int) -> dict[str, list[str]]:
    rows = con.execute("SELECT case_id, reasons FROM quarantine WHERE submission_id = ?", [submission_id]).fetchall()
    return {case_id: reasons for case_id, reasons in rows}


def test_counts_add_up_and_every_reason_is_named(con, ingest, write_csv):
    path = write_csv("belcall_2026-10.csv", [
        HEADER_NL,
        nl_row("BC-1", responded="12-10-2026", outcome="Uitgevoerd"),
        nl_row("BC-2", received="31/02/2026"),
        nl_row("BC-3", kind="Adreswijziging"),
        nl_row("", received="06-10-2026"),
        nl_row("BC-5", received="10-10-2026", responded="08-10-2026", outcome="Uitgevoerd"),
        nl_row("BC-6", received="12-10-2026", responded="20-11-2026", outcome="Uitgevoerd"),
        nl_row("BC-7", received="03-11-2026"),
        nl_row("BC-8", responded="12-10-2026"),
        nl_row("BC-9", verified="misschien"),
        nl_row("BC-10", received="06-10-2026"),
        nl_row("BC-10", received="07-10-2026"),
    ])
    result = ingest(path, submitted_on=__import__("datetime").date(2026, 11, 5))
    assert result.rows_read == 11
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_skipped
    assert result.rows_loaded == 1
    reasons = quarantined(con, result.submission_id)
    assert reasons["BC-2"] == ["bad_date"]
    assert reasons["BC-3"] == ["unknown_value"]
    assert reasons[None] == ["missing_required"]
    assert reasons["BC-5"] == ["date_order"]
    assert reasons["BC-6"] == ["future_date"]
    assert reasons["BC-7"] == ["out_of_period"]
    assert reasons["BC-8"] == ["missing_required"]  # answered, but no outcome
    assert reasons["BC-9"] == ["unknown_value"]
    assert con.execute("SELECT count(*) FROM quarantine WHERE case_id = 'BC-10'").fetchall()[0][0] == 2
    assert "duplicate_conflict" in reasons["BC-10"]


def test_quarantine_messages_name_the_header_and_the_value(con, ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL, nl_row("BC-2", received="31/02/2026")]))
    messages = con.execute("SELECT messages, source_row FROM quarantine WHERE submission_id = ?",
                           [result.submission_id]).fetchall()
    assert messages == [(["Datum ontvangst (received_on) '31/02/2026' is not a date"], 2)]


def test_blank_total_and_identical_rows_are_skipped_and_counted(con, ingest, write_csv):
    path = write_csv("r_2026-10.csv", [
        "Maandrapport privacyverzoeken;;;", "", HEADER_NL,
        nl_row("BC-1"), "", nl_row("BC-2"), nl_row("BC-2"), ";;;;;;;;;", "Totaal;3;;;;;;;;", "", "",
    ], encoding="cp1252", newline="\r\n")
    result = ingest(path)
    cases = result.parts["cases"]
    assert cases["skipped"] == {"blank": 2, "duplicate_row": 1, "total": 1}
    assert (result.rows_read, result.rows_loaded, result.rows_skipped) == (6, 2, 4)
    assert result.declared_total == 3
    rows = dict(con.execute("SELECT case_id, source_row FROM cases").fetchall())
    assert rows == {"BC-1": 4, "BC-2": 6}  # Excel's row numbers, empty lines included


def test_values_in_three_languages_map_to_the_vocabulary(con, ingest, write_csv):
    path = write_csv("r_2026-10.csv", [
        "case id,received on,request type,channel,identity verified,complaint right notified,responded on,outcome",
        "A1,2026-10-05,Accès,Téléphone,oui,non,2026-10-09,Accordé",
        "A2,05/10/2026,Bel-me-niet,Telefoon,J,nee,09.10.2026,Uitgevoerd",
        "A3,5.10.2026,stop marketing,e-mail,yes,x,2026-10-09 14:32,partially",
        "A4,05-10-2026,Plainte,courrier,vrai,faux,,",
    ])
    result = ingest(path)
    assert result.rows_loaded == 4, result.parts
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT case_id, received_on::VARCHAR, request_type, channel, identity_verified, complaint_right_notified, "
        "responded_on::VARCHAR, outcome FROM cases").fetchall()}
    assert got["A1"] == ("2026-10-05", "access", "phone", True, False, "2026-10-09", "fulfilled")
    assert got["A2"] == ("2026-10-05", "marketing_opt_out", "phone", True, False, "2026-10-09", "fulfilled")
    assert got["A3"] == ("2026-10-05", "marketing_opt_out", "email", True, True, "2026-10-09", "partially_fulfilled")
    assert got["A4"][:3] == ("2026-10-05", "complaint", "letter")  # an Excel serial is a date only in a workbook


def test_ambiguous_dates_are_read_day_first_and_reported(ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL, nl_row("BC-1", received="05/10/2026")]))
    assert any("read day first" in n and "05/10/2026" in n for n in result.notes)
    decided = ingest(write_csv("s_2026-10.csv", [HEADER_NL, nl_row("BC-1", received="25/10/2026"),
                                                 nl_row("BC-2", received="05/10/2026")]),
                     processor="Other BV")
    assert not any("read day first" in n for n in decided.notes)


def test_unknown_columns_are_kept_as_extras(con, ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL + ";Prioriteit", nl_row("BC-1") + ";hoog"]))
    assert result.extras == ["Prioriteit"]
    assert con.execute("SELECT extras->>'Prioriteit' FROM cases").fetchall() == [("hoog",)]
