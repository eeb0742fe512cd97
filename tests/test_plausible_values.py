"""Plausible values only (issue 18, item 3, the parts built): dates before 2000 quarantined, a number in a CSV's date
column not read as an Excel serial, NUL bytes and mixed encodings refused naming the line; and one processor's
placeholder date no longer stops the checks of every processor. Real report files, ingested as the CLI does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from checks.runner import run_checks
from ingest.errors import ImplausibleFact, UnreadableFile
from ingest.names import SimilarProcessor
from store.identity import ROLES, User
from tests.conftest import HEADER_NL, nl_row

OFFICER = User("olivia", ROLES)


def reasons(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    return {case: list(r) for case, r in con.execute("SELECT case_id, reasons FROM quarantine").fetchall()}


def test_dates_before_2000_are_quarantined_as_implausible(con, ingest, write_csv) -> None:
    result = ingest(write_csv("belcall_2026-10.csv", [
        HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="01-01-0001"), nl_row("BC-3", received="01-01-1900"),
        nl_row("BC-4", responded="01-01-1999", outcome="Toegekend")]))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 3)
    found = reasons(con)
    assert found["BC-2"] == ["implausible_date"] and found["BC-3"] == ["implausible_date"]
    assert "implausible_date" in found["BC-4"]
    [(message,)] = con.execute("SELECT messages[1] FROM quarantine WHERE case_id = 'BC-2'").fetchall()
    assert message == "Datum ontvangst (received_on) 0001-01-01 is before 2000: not a plausible date"


def test_a_placeholder_date_in_one_report_does_not_stop_the_checks_of_another(con, ingest, write_csv) -> None:
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="01-01-0001")]))
    ingest(write_csv("appelia_2026-10.csv", [HEADER_NL, nl_row("AP-1")]), processor="Appelia Services SRL")
    run = run_checks(con, OFFICER, as_of=date(2026, 11, 30))
    assert run.errors == 0
    assert {r.processor for r in run.results} == {"Belcall Antwerpen BV", "Appelia Services SRL"}


def test_a_number_in_a_csv_date_column_is_not_an_excel_serial(con, ingest, write_csv) -> None:
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="46300")]))
    assert reasons(con)["BC-2"] == ["bad_date"]


def test_a_nul_byte_is_refused_naming_its_line(ingest, tmp_path: Path) -> None:
    path = tmp_path / "belcall_2026-10.csv"
    lines = [HEADER_NL, *(nl_row(f"BC-{i}") for i in range(1, 2000))]
    lines[1500] = lines[1500].replace("Inzage", "Inz\x00age")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"binary data on line 1501, a NUL byte"):
        ingest(path)


@pytest.mark.parametrize("first", ["utf-8", "cp1252"])
def test_mixed_encodings_are_refused_naming_the_line(ingest, tmp_path: Path, first: str) -> None:
    second = "cp1252" if first == "utf-8" else "utf-8"
    path = tmp_path / "belcall_2026-10.csv"
    body = (HEADER_NL + "\n" + nl_row("BC-1").replace("AG-07", "Müller") + "\n").encode(first)
    body += (nl_row("BC-2").replace("AG-07", "Dupré") + "\n").encode(second)
    path.write_bytes(body)
    line = 3 if first == "utf-8" else 2  # the first line that is not UTF-8
    with pytest.raises(UnreadableFile, match=rf"mixes encodings: line {line} is not UTF-8"):
        ingest(path)


def test_a_file_in_one_8_bit_encoding_is_still_read(con, ingest, tmp_path: Path) -> None:
    path = tmp_path / "belcall_2026-10.csv"
    path.write_bytes(("\n".join([HEADER_NL, nl_row("BC-1").replace("AG-07", "Dupré €")]) + "\n").encode("cp1252"))
    assert ingest(path).rows_loaded == 1
    assert con.execute("SELECT agent_id FROM cases").fetchall() == [("Dupré €",)]


def summary_workbook(path: Path, total: object) -> Path:
    """A report as Excel with a cases sheet and a summary sheet declaring `total`."""
    from openpyxl import Workbook

    book = Workbook()
    cases = book.active
    cases.title = "Dossiers"
    for line in (HEADER_NL, nl_row("BC-1"), nl_row("BC-2")):
        cases.append(line.split(";"))
    summary = book.create_sheet("Samenvatting")
    summary.append(["Verwerker", "Belcall Antwerpen BV"])
    summary.append(["Periode", "2026-10"])
    summary.append(["Totaal dossiers", total])
    book.save(path)
    return path


@pytest.mark.parametrize("total", ["-333", -333, 2**31, "99999999999"])
def test_a_negative_or_out_of_range_total_is_refused(ingest, tmp_path: Path, total: object) -> None:
    with pytest.raises(ImplausibleFact, match=r"declares a total of '.*' cases: not a number of cases"):
        ingest(summary_workbook(tmp_path / "belcall_2026-10.xlsx", total))


def test_a_plausible_total_is_still_read(ingest, tmp_path: Path) -> None:
    assert ingest(summary_workbook(tmp_path / "belcall_2026-10.xlsx", "Totaal: 2")).declared_total == 2


@pytest.mark.parametrize("typed", ["Belcall Antwerpen BV ", "belcall antwerpen bv", "Belcall\u200b Antwerpen  BV",
                                   "Ｂｅｌｃａｌｌ Antwerpen BV"])
def test_a_processor_name_typed_another_way_is_the_same_processor(con, ingest, write_csv, typed: str) -> None:
    ingest(write_csv("belcall_2026-09.csv", [HEADER_NL, nl_row("BC-1", received="05-09-2026")]), period="2026-09")
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-2")]), processor=typed)
    assert con.execute("SELECT name FROM processors").fetchall() == [("Belcall Antwerpen BV",)]


@pytest.mark.parametrize("typed", ["Bеlcall Antwerpen BV", "Belcal Antwerpen BV"])  # a Cyrillic е; a typo
def test_a_look_alike_processor_name_asks_which_one_is_meant(con, ingest, write_csv, typed: str) -> None:
    ingest(write_csv("belcall_2026-09.csv", [HEADER_NL, nl_row("BC-1", received="05-09-2026")]), period="2026-09")
    with pytest.raises(SimilarProcessor, match="looks like 'Belcall Antwerpen BV'"):
        ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-2")]), processor=typed)
    assert con.execute("SELECT count(*) FROM processors").fetchall() == [(1,)]
    ingest(write_csv("appelia_2026-10.csv", [HEADER_NL, nl_row("AP-1")]), processor="Appelia Services SRL")


REF = r"KL-\d{6}"  # the demo profile's customer references, KL-100234


def test_a_reference_shifted_into_another_column_is_kept_as_its_pseudonym(con, ingest, write_csv, key_path) -> None:
    from ingest.pseudonym import load_key

    # A stray ; in the case id pushes every cell one column to the right: the reference lands under Kanaal.
    shifted = nl_row("BC-2").replace("BC-2;", "BC-2;x;", 1)
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), shifted]), ref_pattern=REF)
    [(raw,)] = con.execute("SELECT CAST(raw AS VARCHAR) FROM quarantine").fetchall()
    assert "KL-100234" not in raw
    assert load_key(key_path).pseudonym("KL-100234") in raw


def test_a_reference_column_with_an_unknown_header_is_kept_as_its_pseudonym(con, ingest, write_csv,
                                                                            key_path) -> None:
    from ingest.pseudonym import load_key

    header = HEADER_NL.replace("Klantnummer", "Ref. klant")  # not a known alias: kept as an extra
    ingest(write_csv("belcall_2026-10.csv", [header, nl_row("BC-1")]), ref_pattern=REF)
    [(extras,)] = con.execute("SELECT CAST(extras AS VARCHAR) FROM cases").fetchall()
    assert "KL-100234" not in extras and load_key(key_path).pseudonym("KL-100234") in extras
    assert "AG-07" in con.execute("SELECT agent_id FROM cases").fetchall()[0][0]  # other values stay as they are


def test_a_reference_pattern_that_is_no_regular_expression_is_refused(ingest, write_csv) -> None:
    from ingest.errors import InvalidMapping

    with pytest.raises(InvalidMapping, match="not a regular expression"):
        ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), ref_pattern="KL-(")


def test_the_profiles_reference_pattern_protects_an_unknown_reference_column(cli_env, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from tests.conftest import ROOT, run_cli

    contracts = shutil.copytree(ROOT / "contracts", tmp_path / "contracts")
    (contracts / "belcall.toml").write_text('name = "belcall"\nextends = "default"\ntitle = "Belcall"\n'
                                            'data_subject_ref_pattern = "KL-[0-9]{6}"\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(contracts))
    report = tmp_path / "belcall_2026-10.csv"
    report.write_text("\n".join([HEADER_NL.replace("Klantnummer", "Ref. klant"), nl_row("BC-1")]) + "\n",
                      encoding="utf-8")
    code, out, err = run_cli("ingest", str(report), "--processor", "Belcall Antwerpen BV", "--profile", "belcall",
                             "--submitted-on", "2026-11-05")
    assert code == 0, err
    assert "KL-100234" not in cli_env.db.read_bytes().decode("latin-1")
    code, out, _ = run_cli("cases", "--format", "json")
    assert "KL-100234" not in out and code == 0
    (contracts / "broken.toml").write_text('name = "broken"\nextends = "default"\ntitle = "B"\n'
                                           'data_subject_ref_pattern = "KL-("\n', encoding="utf-8")
    code, _, err = run_cli("profile", "show", "broken")
    assert code == 2 and "data_subject_ref_pattern" in err and "not a regular expression" in err


def test_a_column_mapped_as_personal_is_kept_only_as_its_pseudonym(con, ingest, write_csv, key_path) -> None:
    from ingest.mapping import build_mapping
    from ingest.pseudonym import load_key

    header = HEADER_NL + ";Telefoon klant"
    rows = [header, nl_row("BC-1") + ";+32 470 12 34 56", nl_row("BC-2", received="31-02-2026") + ";+32 470 65 43 21"]
    result = ingest(write_csv("belcall_2026-10.csv", rows),
                    mapping=build_mapping({"Telefoon klant": "personal"}))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    key = load_key(key_path)
    [(extras,)] = con.execute("SELECT CAST(extras AS VARCHAR) FROM cases").fetchall()
    [(raw,)] = con.execute("SELECT CAST(raw AS VARCHAR) FROM quarantine").fetchall()
    assert "+32 470" not in extras + raw
    assert key.pseudonym("+32 470 12 34 56") in extras and key.pseudonym("+32 470 65 43 21") in raw
    # Remembered: the processor's next report keeps that column as personal data by itself.
    ingest(write_csv("belcall_2026-11.csv", [header, nl_row("BC-3", received="05-11-2026") + ";+32 2 555 00 00"]),
           period="2026-11", submitted_on=date(2026, 12, 5))
    assert "+32 2 555" not in str(con.execute("SELECT extras FROM cases").fetchall())
