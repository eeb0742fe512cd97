"""Outcome rules on small real report files (issue 13, items 2 and 16): "handled" is not "granted", a closed ticket
is not an answer, and the outcomes of Art. 12(5) are escalated."""

from __future__ import annotations

from datetime import date

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report


def test_handled_words_are_the_outcome_closed_and_closed_on_is_not_the_answer_date(con, key_path, tmp_path):
    # A Dutch report: "Afgehandeld op" and "Afgehandeld" say a ticket was closed, not how or when it was answered.
    path = tmp_path / "testcall_2026-10.csv"
    path.write_text("Dossiernummer;Datum ontvangst;Soort verzoek;Identiteit geverifieerd;Datum antwoord;"
                    "Afgehandeld op;Resultaat;Reden weigering;Klachtrecht gemeld\n"
                    "C-1;01/10/2026;Inzage;ja;;20/10/2026;Afgehandeld;;\n"
                    "C-2;01/10/2026;Inzage;ja;15/10/2026;20/10/2026;Uitgevoerd;;\n"
                    "C-3;01/10/2026;Verwijdering;ja;16/10/2026;;Geweigerd;klant is geen klant;ja\n",
                    encoding="utf-8")
    found = check_file(con, key_path, path, "2026-10", as_of="2026-11-30")
    stored = dict(con.execute("SELECT case_id, struct_pack(outcome, closed_on, responded_on) FROM cases").fetchall())
    assert stored["C-1"] == {"outcome": "closed", "closed_on": date(2026, 10, 20),
                             "responded_on": None}
    # C-1 escapes no rule any more: its outcome is unstated and it has no answer date...
    assert_offends(found, "outcome.unstated", "C-1", outcome="closed")
    assert_offends(found, "response.date_missing", "C-1", closed_on="2026-10-20", outcome="closed")
    # ...and it is not also open past its deadline (due 02-11, as of 30-11), nor counted as answered on time.
    assert_passes(found, "deadline.overdue_open", "C-1")
    assert_passes(found, "deadline.late_response", "C-1")
    assert found.results[("deadline.late_response", "Testcall BV", "2026-10")][:2] == (2, 0)
    for clean in ("C-2", "C-3"):
        assert_passes(found, "outcome.unstated", clean)
        assert_passes(found, "response.date_missing", clean)
    assert {r["severity"] for r in found.of("outcome.unstated") + found.of("response.date_missing")} == {"major"}


def test_an_outcome_without_an_answer_date_is_a_missing_date(con, key_path, tmp_path):
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        {"case_id": "D-1", "received_on": "2026-10-01", "request_type": "rectification", "outcome": "fulfilled"},
        {"case_id": "D-2", "received_on": "2026-10-01", "request_type": "rectification",
         "responded_on": "2026-10-02", "outcome": "fulfilled"},
        {"case_id": "D-3", "received_on": "2026-10-01", "request_type": "rectification"},  # open, not closed
    ])
    found = check_file(con, key_path, path, "2026-10")
    assert_offends(found, "response.date_missing", "D-1", outcome="fulfilled", closed_on=None)
    assert_passes(found, "response.date_missing", "D-2")
    assert_passes(found, "response.date_missing", "D-3")


def test_the_outcomes_of_art_12_5_are_escalated_and_an_excessive_request_is_a_refusal(con, key_path, tmp_path):
    # A French report: "Manifestement infondé" and "Frais" are the controller's decisions (Art. 12(5)).
    path = tmp_path / "testcall_2026-10.csv"
    path.write_text("N° dossier;Date de réception;Type de demande;Identité vérifiée;Transmis le;Escaladé le;"
                    "Date de réponse;Résultat;Motif du refus;Information APD;Recours juridictionnel notifié\n"
                    "X-1;01/10/2026;Accès;oui;01/10/2026;;09/10/2026;Manifestement infondé;;non;non\n"
                    "X-2;01/10/2026;Accès;oui;01/10/2026;;09/10/2026;Frais;;;\n"
                    "X-3;01/10/2026;Accès;oui;01/10/2026;02/10/2026;09/10/2026;Frais;;;\n"
                    "X-4;01/10/2026;Accès;oui;01/10/2026;;09/10/2026;Accordé;;;\n", encoding="utf-8")
    found = check_file(con, key_path, path, "2026-10", as_of="2026-10-31")
    assert dict(con.execute("SELECT case_id, outcome FROM cases").fetchall()) == {
        "X-1": "excessive", "X-2": "fee", "X-3": "fee", "X-4": "fulfilled"}
    assert_offends(found, "sla.escalation_missing", "X-1", outcome="excessive")
    assert_offends(found, "sla.escalation_missing", "X-2", outcome="fee")
    assert_passes(found, "sla.escalation_missing", "X-3")  # escalated the next day
    assert_passes(found, "sla.escalation_missing", "X-4")  # access granted: the contract's lists decide
    for check in ("refusal.no_reason", "refusal.no_complaint_notice", "refusal.no_remedy_notice"):
        assert_offends(found, check, "X-1")
        assert_passes(found, check, "X-2")  # acting for a fee is not refusing
