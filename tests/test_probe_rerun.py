"""The probe of issue 18, rerun as a whole: one test per row of its "Why" list, each asserting that the row now holds.

Each test calls the code path the probe hit (the configuration loader, ingest, the check runner, audit verify, the
sign-in decision, the key reader, the inbox, the name renderer), on files built here (tests/hostile.py), in this
process so the whole file stays well under a minute. Where another test proves more of a row (a second process, a
real browser), it is named; this file asserts the behaviour itself.
"""

from __future__ import annotations

import os
import re
import threading
import time
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import pytest
from markdown_it import MarkdownIt

from app.text import literal
from checks.runner import run_checks
from ingest.errors import ImplausibleFact, UnreadableFile
from ingest.inbox import OutsideInbox, list_inbox, opened
from ingest.limits import LimitExceeded, MisstatedSize
from ingest.names import SimilarProcessor
from ingest.pseudonym import load_key
from ingest.service import inspect_report
from store import access, audit, limits, sessions
from store.db import connect
from store.errors import ConfigError
from store.evidence import verify_trail
from store.identity import ROLES, Config, SignInFailed, User, authenticate
from store.keys import KeyFileRefused, read_key
from store.passwords import hash_password
from store.throttle import StoreThrottle
from store.users_file import load_config
from tests.conftest import HEADER_NL, ROOT, config_file, nl_row
from tests.hostile import long_line_csv, lying_bomb, wide_csv, zip_bomb
from tests.test_plausible_values import summary_workbook

OFFICER = User("olivia", ROLES)
BELCALL, APPELIA = "Belcall Antwerpen BV", "Appelia Services SRL"
REF = r"KL-\d{6}"


@pytest.fixture(autouse=True)
def default_limits() -> None:
    limits.configure(limits.Limits())


def quarantined(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    return {case: list(r) for case, r in con.execute("SELECT case_id, reasons FROM quarantine").fetchall()}


# --- Access control fails open -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ['[user.vic]\nroles = ["compliance_officer"]\n',
                                  '[Users.vic]\nroles = ["compliance_officer"]\n'])
def test_a_mistyped_users_file_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="unknown"):
        load_config(config_file(tmp_path, text))


def test_a_missing_users_file_is_refused_and_an_empty_one_gives_no_roles_on_a_database_that_had_users(
        tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    empty = load_config(Path("/dev/null"))  # OVERSIGHT_CONFIG=/dev/null, or every user commented out
    with pytest.raises(access.LocalModeRefused):
        access.check_local_mode(empty, ["olivia", "vic"])
    # and the CLI, end to end: tests/test_fail_closed.py (a fresh process per case)


# --- Bounded resources ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return zip_bomb(folder / "bomb_2026-10.xlsx"), lying_bomb(folder / "liar_2026-10.xlsx")


def test_a_shared_string_bomb_is_refused_quickly_whether_its_directory_tells_the_truth_or_not(
        bombs: tuple[Path, Path], con) -> None:
    for bomb, refusal in zip(bombs, (LimitExceeded, MisstatedSize), strict=True):
        assert bomb.stat().st_size < 2 * 1024 * 1024
        start = time.perf_counter()
        with pytest.raises(refusal, match="Nothing was read"):
            inspect_report(con, bomb, processor=BELCALL)
        assert time.perf_counter() - start < 1
    # memory under 200 MB, in a fresh process: tests/test_limits.py and tests/test_zip_directory_lies.py


def test_a_5000_column_csv_is_refused_fast(con, tmp_path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(LimitExceeded, match="5,000 columns"):
        inspect_report(con, wide_csv(tmp_path / "belcall_2026-10.csv"), processor=BELCALL)
    assert time.perf_counter() - start < 2


# --- Plausible values ---------------------------------------------------------------------------------------------

def test_a_year_one_date_is_quarantined_and_the_other_processors_checks_still_run(con, ingest, write_csv) -> None:
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="01-01-0001")]))
    ingest(write_csv("appelia_2026-10.csv", [HEADER_NL, nl_row("AP-1")]), processor=APPELIA)
    assert quarantined(con)["BC-2"] == ["implausible_date"]
    run = run_checks(con, OFFICER, as_of=date(2026, 11, 30))
    assert run.errors == 0 and {r.processor for r in run.results} == {BELCALL, APPELIA}
    # planted past ingest, it fails only its own report: tests/test_check_errors_per_report.py,
    # tests/test_check_error_isolated.py


def test_a_cp1252_line_in_a_utf8_file_is_refused_naming_the_line(ingest, tmp_path: Path) -> None:
    path = tmp_path / "belcall_2026-10.csv"
    body = (HEADER_NL + "\n" + nl_row("BC-1").replace("AG-07", "Müller") + "\n").encode("utf-8")
    path.write_bytes(body + (nl_row("BC-2").replace("AG-07", "Dupré") + "\n").encode("cp1252"))
    with pytest.raises(UnreadableFile, match="mixes encodings: line 3 is not UTF-8"):
        ingest(path)


def test_a_cyrillic_look_alike_processor_name_asks_for_confirmation(con, ingest, write_csv) -> None:
    ingest(write_csv("belcall_2026-09.csv", [HEADER_NL, nl_row("BC-1", received="05-09-2026")]), period="2026-09")
    with pytest.raises(SimilarProcessor, match="looks like 'Belcall Antwerpen BV'"):
        ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-2")]), processor="Bеlcall Antwerpen BV")
    assert con.execute("SELECT name FROM processors").fetchall() == [(BELCALL,)]


def test_a_bare_cr_in_a_quoted_cell_is_read_as_part_of_the_cell(con, ingest, write_csv) -> None:
    rows = [HEADER_NL, nl_row("BC-1"), nl_row("BC-2").replace("AG-07", '"AG\r07"'), nl_row("BC-3")]
    assert ingest(write_csv("belcall_2026-10.csv", rows)).rows_loaded == 3
    assert con.execute("SELECT agent_id FROM cases WHERE case_id = 'BC-2'").fetchall() == [("AG\r07",)]


def test_mixed_line_endings_are_refused_naming_the_lines_not_in_duckdbs_words(ingest, tmp_path: Path) -> None:
    path = tmp_path / "belcall_2026-10.csv"
    path.write_bytes(f"{HEADER_NL}\r\n{nl_row('BC-1')}\n{nl_row('BC-2')}\r{nl_row('BC-3')}\r\n".encode())
    with pytest.raises(UnreadableFile) as refused:
        ingest(path)
    said = str(refused.value)
    assert "line 1 ends with CR LF, line 2 with LF" in said and "Nothing was read" in said
    assert str(tmp_path) not in said and "read_csv" not in said and "strict_mode" not in said


def test_a_3_mb_line_is_refused_naming_the_limit(ingest, tmp_path: Path) -> None:
    with pytest.raises(LimitExceeded, match=r"bytes in one line.*\[limits\] max_line_bytes") as refused:
        ingest(long_line_csv(tmp_path / "belcall_2026-10.csv"))
    assert str(tmp_path) not in str(refused.value)


@pytest.mark.parametrize("total", [2**31, "-333"])
def test_a_total_over_2_31_or_negative_is_refused_with_a_reason(ingest, tmp_path: Path, total: object) -> None:
    # A declared total is a fact of the whole report, not a row: refused (refusal "implausible_value"), never read
    # as 333 or wrapped around.
    with pytest.raises(ImplausibleFact, match="not a number of cases") as refused:
        ingest(summary_workbook(tmp_path / "belcall_2026-10.xlsx", total))
    assert refused.value.refusal == "implausible_value"


def test_a_number_in_a_text_date_column_is_quarantined_not_an_excel_serial(con, ingest, write_csv) -> None:
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="45678")]))
    assert quarantined(con)["BC-2"] == ["bad_date"]


# --- Evidence that shows tampering --------------------------------------------------------------------------------

@pytest.fixture
def trail(con, ingest, write_csv, db_path: Path) -> duckdb.DuckDBPyConnection:
    ingest(write_csv("belcall_2026-09.csv", [HEADER_NL, nl_row("BC-1", received="05-09-2026")]), period="2026-09")
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-2"), nl_row("BC-3")]))
    assert verify_trail(con, db_path).ok
    return con


def problems(con: duckdb.DuckDBPyConnection, db_path: Path) -> str:
    found = verify_trail(con, db_path)
    assert not found.ok
    return " | ".join(f"{p.obj}: {p.what}" for p in found.problems) + f" | chain: {found.chain.reason}"


def test_an_emptied_trail_is_reported(trail, db_path: Path) -> None:
    trail.execute("DELETE FROM audit_events")
    assert "in the submissions table, but the trail has no report.ingested" in problems(trail, db_path)


def test_an_edited_event_with_recomputed_hashes_is_reported(trail, db_path: Path) -> None:
    [(seq, at, role, action, obj, details, prev)] = trail.execute(
        "SELECT seq, occurred_at, role, action, object, CAST(details AS VARCHAR), prev_hash FROM audit_events "
        "WHERE seq = 2").fetchall()
    rehashed = audit._event_hash(prev, seq, at.isoformat(timespec="microseconds"), "mallory", role, action, obj,
                                 details)
    trail.execute("UPDATE audit_events SET user_name = 'mallory', hash = ? WHERE seq = 2", [rehashed])
    found = verify_trail(trail, db_path)
    assert not found.chain.intact and found.chain.broken_at == 2


def test_a_forged_appended_event_is_reported(trail, db_path: Path) -> None:
    [(seq, head)] = trail.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    trail.execute("INSERT INTO audit_events SELECT * REPLACE (seq + 1 AS seq, 'mallory' AS user_name, "
                  "? AS prev_hash, 'hmac-sha256:' || repeat('b', 64) AS hash) FROM audit_events WHERE seq = ?",
                  [head, seq])
    found = verify_trail(trail, db_path)
    assert not found.chain.intact and found.chain.broken_at == seq + 1


def test_a_direct_edit_of_a_case_is_reported_with_the_event_it_contradicts(trail, db_path: Path) -> None:
    trail.execute("UPDATE cases SET responded_on = received_on WHERE case_id = 'BC-2'")
    said = problems(trail, db_path)
    assert re.search(r"submission:\d+: .*differ from what event \d+ recorded", said), said
    # by a second process, with findings, runs and counts too: tests/test_tamper_evidence.py


# --- Sessions that cannot be borrowed ------------------------------------------------------------------------------

FAST = {"n": 2**10, "r": 8, "p": 1}
PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD, **FAST)
CONFIG = Config(path=Path("oversight.toml"), users={"olivia": ("compliance_officer",)},
                password_hashes={"olivia": HASH})


def test_a_replayed_session_id_is_not_signed_in() -> None:
    token = sessions.new_token()
    signed = sessions.SignedIn("olivia", HASH, sessions.digest(token), "nonce-of-the-signer", 100.0)
    # Another browser attached to the same session id: another connection, without the cookie.
    assert sessions.check(signed, password_hash=HASH, connection="nonce-of-the-thief", cookie=None,
                          now=101.0) is sessions.Refusal.BORROWED
    # in two real browser contexts: tests/test_sessions.py


def test_concurrent_wrong_passwords_cannot_pass_the_limit(db_path: Path) -> None:
    con = connect(db_path)
    try:
        throttle = StoreThrottle(con, limit=5)
        start = threading.Barrier(8)
        outcomes: list[BaseException | None] = [None] * 8

        def attempt(i: int) -> None:
            start.wait()
            try:
                authenticate(CONFIG, "olivia", f"wrong password number {i}", throttle)
            except BaseException as exc:  # collected and asserted below
                outcomes[i] = exc

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(isinstance(o, SignInFailed) for o in outcomes)
        with pytest.raises(SignInFailed):  # the right password, after eight wrong ones at once
            authenticate(CONFIG, "olivia", PASSWORD, throttle)
    finally:
        con.close()


# --- Every way out is safe ---------------------------------------------------------------------------------------

def test_streamlits_own_csv_download_is_off_and_tracebacks_stay_on_the_server() -> None:
    settings = tomllib.loads((ROOT / "app" / "streamlit.toml").read_text(encoding="utf-8"))
    assert settings["client"]["disableDataExport"] is True
    assert settings["client"]["showErrorDetails"] == "none"
    # the toolbar in a real browser: tests/test_ways_out.py


def test_a_raw_customer_reference_shifted_by_a_stray_semicolon_is_pseudonymised(con, ingest, write_csv,
                                                                                 key_path: Path) -> None:
    shifted = nl_row("BC-2").replace("BC-2;", "BC-2;x;", 1)
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), shifted]), ref_pattern=REF)
    stored = " ".join(str(v) for row in con.execute("SELECT * FROM quarantine").fetchall() for v in row)
    stored += " ".join(str(v) for row in con.execute("SELECT * FROM cases").fetchall() for v in row)
    assert "KL-100234" not in stored  # nor in the quarantine's messages, which quote the cells they refuse
    assert load_key(key_path).pseudonym("KL-100234") in stored


@pytest.mark.parametrize("name", ["[Belcall](https:evil.example)", "**bold**", "<img src=x onerror=alert(1)>"])
def test_markdown_in_names_renders_as_its_own_text(name: str) -> None:
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(literal(name))
    assert not re.search(r"<(a|strong|img|em)\b", html), html


# --- Keys and files ----------------------------------------------------------------------------------------------

GOOD_KEY = "8f" * 4 + "0123456789abcdef" * 3 + "fedcba98" + "\n"


@pytest.mark.parametrize(("text", "mode", "said"), [
    ("", 0o600, "random bytes"),
    ("ab\n", 0o600, "random bytes"),
    ("not a key at all\n", 0o600, "hex digits"),
    (GOOD_KEY, 0o644, "can be read by other users"),
])
def test_a_short_non_hex_or_exposed_key_is_refused(tmp_path: Path, text: str, mode: int, said: str) -> None:
    key = tmp_path / "oversight.key"
    key.write_text(text, encoding="ascii")
    os.chmod(key, mode)
    with pytest.raises(KeyFileRefused, match=said):
        read_key(key, "pseudonymisation key")


def test_an_inbox_symlink_is_never_listed_nor_followed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / BELCALL).mkdir(parents=True)
    report = inbox / BELCALL / "belcall_2026-10.csv"
    report.write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
    (inbox / "passwd.csv").symlink_to("/etc/passwd")
    [item] = list_inbox(inbox)
    assert item.path == report
    report.unlink()
    report.symlink_to("/etc/passwd")  # swapped between listing and reading
    with pytest.raises(OutsideInbox), opened(item):
        pytest.fail("read through a link")
