"""The scoping matrix (issue 15, item 1): a processor user of one processor gets nothing of another's, from any
service function it can reach, by any id it types, and none of the controller's actions.

One database holds both demo processors with everything the portal shows (findings sent, samples with evidence
requests and files, letters, a response). Belcall's user then calls every function of the processor's side: each
returns Belcall's data (never empty, so the row proves something) and nothing of Appelia's; every id of Appelia's
objects is answered as "not found"; every action of the controller's side is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from checks.contract import link_processor
from checks.profile_files import save_profile
from checks.runner import run_checks
from exports.letter import escalate, export_letter
from exports.letter_store import letter_content, list_letters
from exports.pack import export_pack
from findings.portal import decide_response, finding_for_processor, findings_for_processor, get_response, respond
from findings.raising import raise_from_checks
from findings.service import move, raise_finding
from ingest.service import ingest_report
from portal.activity import activity_for
from portal.reports import (
    confirm_pending,
    list_pending,
    quarantine_for,
    reject_pending,
    submissions_for,
    upload_report,
)
from portal.results import periods_for, results_for
from registry.processors import register_processor
from spotchecks.commitments import commit_seed
from spotchecks.evidence import (
    add_evidence,
    evidence_for_case,
    get_evidence,
    list_requests,
    overdue_requests,
    request_detail,
    request_evidence,
    requests_for_sample,
)
from spotchecks.review import record_reviews
from spotchecks.samples import draw_sample
from store.db import connect
from store.errors import OversightError, PermissionDenied
from store.identity import ROLES, Config, User
from store.scope import OutOfScope
from tests.conftest import HEADER_NL, DemoFiles, copy_demo, nl_row

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"
OFFICER = User("olivia", ROLES)
PIET = User("piet", ("processor",), processor=BELCALL)  # Belcall's user, as sign-in binds it
ANNE = User("anne", ("processor",), processor=APPELIA)  # Appelia's
CONFIG = Config(path=None, users={"olivia": ROLES, "piet": ("processor",), "anne": ("processor",)},
                user_processors={"piet": BELCALL, "anne": APPELIA})
# What would give Appelia away: its name, its case ids (APS-...), its customer numbers (CL-...).
APPELIA_MARKS = ("Appelia", "APS-", "CL-")


class World:
    """The database and the ids of each processor's objects."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tmp: Path, key: Path) -> None:
        self.con = con
        self.key = key
        self.ids: dict[str, dict[str, Any]] = {}
        raised = raise_from_checks(con, OFFICER, today=date(2026, 11, 6))
        for name, user in ((BELCALL, PIET), (APPELIA, ANNE)):
            mine = [r.finding_id for r in raised if r.finding_id and con.execute(
                "SELECT processor FROM findings WHERE finding_id = ?", [r.finding_id]).fetchall()[0][0] == name]
            sent, internal = mine[0], mine[1]
            move(con, OFFICER, sent, "notified")
            sample = draw_sample(con, OFFICER, processor=name, period="2026-10", size=2, seed=f"matrix-{name}")
            case = sample.random_part[0].case_id
            request = request_evidence(con, OFFICER, sample.sample_id, "the case file", date(2026, 11, 20),
                                       today=date(2026, 11, 6))
            add_evidence(con, user, str(request["request_id"]), case, b"Call notes.\n", "notes.txt")
            response = respond(con, user, sent, "accepted", "Understood.", "Fix the alert.", date(2027, 1, 15),
                               today=date(2026, 11, 7))
            letter = export_letter(con, OFFICER, name, tmp / f"letter-{name[:3]}.docx")
            [(submission,)] = con.execute("SELECT max(submission_id) FROM submissions JOIN processors "
                                          "USING (processor_id) WHERE name = ?", [name]).fetchall()
            [(quarantined,)] = con.execute("SELECT max(q.submission_id) FROM quarantine q JOIN submissions s "
                                           "USING (submission_id) JOIN processors p USING (processor_id) "
                                           "WHERE p.name = ?", [name]).fetchall()
            # The processor's own upload of a smaller October report: it would remove cases, so it waits for us.
            smaller = tmp / f"{name.split()[0].lower()}_2026-10.csv"
            smaller.write_text(f"{HEADER_NL}\n{nl_row(case)}\n", encoding="utf-8")
            pending = upload_report(con, user, smaller, key_path=key)
            assert pending.status == "pending", pending
            self.ids[name] = {"sent": sent, "internal": internal, "sample": sample.sample_id, "case": case,
                              "request": str(request["request_id"]), "response": response,
                              "letter": letter.letter_id, "submission": submission, "quarantined": quarantined,
                              "pending": pending.pending_id}


@pytest.fixture(scope="module")
def world(checked_demo_files: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("matrix")
    db = copy_demo(checked_demo_files, folder / "matrix.duckdb", folder / "matrix.key")
    con = connect(db)
    yield World(con, folder, folder / "matrix.key")
    con.close()


def _text(value: object) -> str:
    return json.dumps(value, default=str)


def _belcall(world: World, key: str) -> Any:
    return world.ids[BELCALL][key]


def _appelia(world: World, key: str) -> Any:
    return world.ids[APPELIA][key]


# --- what Belcall's user may read: its own, never empty, never Appelia's ------------------------------------------

READS: dict[str, Callable[[World], object]] = {
    "findings_for_processor": lambda w: findings_for_processor(w.con, PIET),
    "finding_for_processor": lambda w: finding_for_processor(w.con, PIET, _belcall(w, "sent")),
    "get_response": lambda w: get_response(w.con, PIET, _belcall(w, "response")),
    "list_requests": lambda w: list_requests(w.con, PIET),
    "list_requests(processor=APPELIA)": lambda w: list_requests(w.con, PIET, APPELIA),
    "request_detail": lambda w: request_detail(w.con, PIET, _belcall(w, "request")),
    "get_evidence": lambda w: get_evidence(w.con, PIET, _belcall(w, "request"), _belcall(w, "case")),
    "overdue_requests": lambda w: overdue_requests(w.con, date(2027, 1, 1), user=PIET),
    "list_letters": lambda w: list_letters(w.con, PIET),
    "letter_content": lambda w: letter_content(w.con, PIET, _belcall(w, "letter"))[0],
    "periods_for": lambda w: periods_for(w.con, PIET),
    "results_for": lambda w: results_for(w.con, PIET, "2026-10"),
    "activity_for": lambda w: activity_for(w.con, PIET, CONFIG),
    "submissions_for": lambda w: submissions_for(w.con, PIET),
    "quarantine_for": lambda w: quarantine_for(w.con, PIET, _belcall(w, "quarantined")),
    "list_pending": lambda w: list_pending(w.con, PIET),
}


@pytest.mark.parametrize("name", list(READS))
def test_every_read_gives_the_processor_its_own_data_and_none_of_another(world, name):
    if name == "list_requests(processor=APPELIA)":
        assert READS[name](world) == []  # naming another processor lists nothing
        return
    result = READS[name](world)
    shown = _text(result)
    assert result and shown not in ("[]", "{}"), "an empty answer proves nothing"
    assert not [mark for mark in APPELIA_MARKS if mark in shown], shown[:500]


# --- Appelia's ids typed by Belcall's user: "not found", and the same answer as an id that does not exist --------

PROBES: dict[str, Callable[[World, str], object]] = {
    "finding_for_processor": lambda w, x: finding_for_processor(w.con, PIET, x),
    "respond": lambda w, x: respond(w.con, PIET, x, "disputed", "probing"),
    "get_response": lambda w, x: get_response(w.con, PIET, x),
    "request_detail": lambda w, x: request_detail(w.con, PIET, x),
    "add_evidence": lambda w, x: add_evidence(w.con, PIET, x, "APS-1", b"x\n", "x.txt"),
    "get_evidence": lambda w, x: get_evidence(w.con, PIET, x, "APS-1"),
    "evidence_for_case": lambda w, x: evidence_for_case(w.con, PIET, x, "APS-1"),
    "requests_for_sample": lambda w, x: requests_for_sample(w.con, PIET, x),
    "letter_content": lambda w, x: letter_content(w.con, PIET, x),
    "results_for(processor=...)": lambda w, x: results_for(w.con, PIET, "2026-10", x),
    "submissions_for(processor=...)": lambda w, x: submissions_for(w.con, PIET, x),
    "quarantine_for": lambda w, x: quarantine_for(w.con, PIET, int(x)),
}
PROBED_ID = {"finding_for_processor": "sent", "respond": "sent", "get_response": "response",
             "request_detail": "request", "add_evidence": "request", "get_evidence": "request",
             "evidence_for_case": "sample", "requests_for_sample": "sample", "letter_content": "letter",
             "quarantine_for": "submission"}


# Lookups by a sample id (the review form's) find nothing for a processor user: it never sees sample ids, and
# another processor's sample holds nothing of its own. Every other probe is refused as "not found".
EMPTY_FOR_A_PROCESSOR = ("evidence_for_case", "requests_for_sample")


@pytest.mark.parametrize("name", list(PROBES))
def test_another_processors_ids_are_not_found(world, name):
    other = APPELIA if name.endswith("(processor=...)") else str(_appelia(world, PROBED_ID[name]))
    if name in EMPTY_FOR_A_PROCESSOR:
        assert PROBES[name](world, other) == []
        # The same lookup by our staff finds Appelia's: the empty answer above is the scope, not a wrong id.
        if name == "evidence_for_case":
            assert evidence_for_case(world.con, OFFICER, other, _appelia(world, "case"))
            assert evidence_for_case(world.con, PIET, other, _appelia(world, "case")) == []
        else:
            assert requests_for_sample(world.con, OFFICER, other)
        return
    with pytest.raises(OversightError) as caught:
        PROBES[name](world, other)
    message = str(caught.value).replace(other, "<typed>")  # echoing what was typed tells nothing new
    assert not isinstance(caught.value, PermissionDenied)  # "not found", never "not allowed": nothing to probe
    assert not [mark for mark in APPELIA_MARKS if mark in message], message
    assert "not found" in message.lower() or "no " in message.lower()


def test_an_internal_finding_of_its_own_processor_is_not_found_either(world):
    with pytest.raises(OutOfScope):
        finding_for_processor(world.con, PIET, _belcall(world, "internal"))  # still open on our side


# --- the controller's actions: refused to every processor user ---------------------------------------------------

ACTIONS: dict[str, Callable[[World, Path], object]] = {
    "run_checks": lambda w, t: run_checks(w.con, PIET, processor=BELCALL),
    "commit_seed": lambda w, t: commit_seed(w.con, PIET),
    "draw_sample": lambda w, t: draw_sample(w.con, PIET, processor=BELCALL, period="2026-10", size=1, seed="x"),
    "record_reviews": lambda w, t: record_reviews(w.con, PIET, _belcall(w, "sample"), _belcall(w, "case"),
                                                  {"timely": ("yes", None)}),
    "request_evidence": lambda w, t: request_evidence(w.con, PIET, _belcall(w, "sample"), "x", date(2027, 1, 1)),
    "raise_finding": lambda w, t: raise_finding(w.con, PIET, processor=BELCALL, period="2026-10",
                                                clause="SCC 8(b)", title="x", severity="low"),
    "move": lambda w, t: move(w.con, PIET, _belcall(w, "sent"), "dismissed", reason="x"),
    "decide_response": lambda w, t: decide_response(w.con, PIET, _belcall(w, "response"), True, "ok"),
    "export_pack": lambda w, t: export_pack(w.con, PIET, BELCALL, "2026-10", t / "pack.xlsx"),
    "export_letter": lambda w, t: export_letter(w.con, PIET, BELCALL, t / "letter.docx"),
    "escalate": lambda w, t: escalate(w.con, PIET, _belcall(w, "sent"), "reminder", t / "reminder.docx"),
    "link_processor": lambda w, t: link_processor(w.con, PIET, BELCALL, "nl"),
    "register_processor": lambda w, t: register_processor(w.con, PIET, "Contactia BV", profile="default"),
    "save_profile": lambda w, t: save_profile(w.con, PIET, "fr", "name = 'fr'"),
    "confirm_pending": lambda w, t: confirm_pending(w.con, PIET, _belcall(w, "pending"), key_path=w.key),
    "reject_pending": lambda w, t: reject_pending(w.con, PIET, _belcall(w, "pending"), "no"),
    "ingest_report (the officer's path)": lambda w, t: ingest_report(
        w.con, t / "none.csv", user=PIET, key_path=t / "k.key", processor=APPELIA),
}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_the_controllers_actions_are_refused_to_a_processor_user(world, name, tmp_path):
    before = world.con.execute("SELECT count(*) FROM audit_events").fetchall()[0][0]
    with pytest.raises(PermissionDenied):
        ACTIONS[name](world, tmp_path)
    assert world.con.execute("SELECT count(*) FROM audit_events").fetchall()[0][0] == before  # nothing written


def test_an_upload_naming_another_processor_loads_nothing(world, tmp_path):
    """Belcall's user uploads Appelia's own October workbook: refused, nothing written, Appelia's report intact."""
    from ingest.demo import manifest  # the demo's files, as shipped

    [appelia_october] = [f for f in manifest() if "appelia_2026-10" in str(f.path)]
    before = world.con.execute("SELECT count(*) FROM submissions").fetchall()[0][0]
    result = upload_report(world.con, PIET, appelia_october.path, key_path=world.key)
    assert result.status == "refused" and "Appelia" not in (result.reason or "")
    assert world.con.execute("SELECT count(*) FROM submissions").fetchall()[0][0] == before
