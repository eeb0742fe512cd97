"""Four eyes (issue 14, item 7): with another user holding the auditor or compliance officer role, a reviewer of a
sample does not sign its evaluation off (the service refuses, for the CLI and the dashboard alike); an optional
second review by another auditor gives per-item agreement and Cohen's kappa on the Evaluate tab and in the pack."""

from __future__ import annotations

import json

import pytest

from spotchecks.agreement import KAPPA_UNDEFINED, cohen_kappa, record_second_review
from spotchecks.errors import InvalidReview
from spotchecks.evaluate import evaluate_sample
from spotchecks.samples import draw_sample
from spotchecks.signoff import SignOffRefused, sign_off
from store.db import connect
from tests.conftest import run_cli
from tests.spot_demo import BELCALL, answer_all, user
from tests.test_export_pack import export, section

ANN = user("auditor", name="ann")
BO = user("auditor", name="bo")
USERS = {"ann": ("auditor",), "bo": ("auditor",), "vera": ("viewer",)}


@pytest.fixture
def reviewed(demo):
    sample = draw_sample(demo, ANN, processor=BELCALL, period="2026-10", size=5, seed=12345)
    for pick in sample.random_part:
        answer_all(demo, ANN, sample.sample_id, pick.case_id)
    return sample


def test_cohens_kappa_reproduces_the_textbook_example() -> None:
    # Two raters, 50 cases: yes/yes 20, yes/no 5, no/yes 10, no/no 15 (the example of the Wikipedia article "Cohen's
    # kappa"): p_o = 35/50 = 0.7, p_e = 0.5 × 0.6 + 0.5 × 0.4 = 0.5, kappa = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    n, agreement, kappa, note = cohen_kappa(pairs)
    assert (n, agreement, note) == (50, 0.7, "") and kappa == pytest.approx(0.4)


def test_kappa_is_undefined_when_both_always_give_one_answer_and_says_so() -> None:
    assert cohen_kappa([("yes", "yes")] * 8) == (8, 1.0, None, KAPPA_UNDEFINED)


def test_a_reviewer_may_not_sign_off_when_another_auditor_could(demo, reviewed) -> None:
    with pytest.raises(SignOffRefused, match=r"ann reviewed cases of S-2026-0001, so another person signs .*: bo"):
        sign_off(demo, ANN, reviewed.sample_id, users=USERS)
    assert sign_off(demo, BO, reviewed.sample_id, users=USERS).sample_id == reviewed.sample_id
    # Alone (or with no other auditor or compliance officer) the reviewer signs off.
    assert sign_off(demo, ANN, reviewed.sample_id, users={"ann": ("auditor",), "vera": ("viewer",)})


def test_a_second_review_gives_agreement_per_item(demo, reviewed, tmp_path) -> None:
    first, second = reviewed.random_part[0].case_id, reviewed.random_part[1].case_id
    with pytest.raises(InvalidReview, match="a second review is by another auditor"):
        record_second_review(demo, ANN, reviewed.sample_id, first, {"recognised": ("yes", None)})
    record_second_review(demo, BO, reviewed.sample_id, first, {"recognised": ("yes", None)})
    record_second_review(demo, BO, reviewed.sample_id, second, {"recognised": ("no", "recorded as a complaint")})
    evaluation = evaluate_sample(demo, reviewed.sample_id)
    [recognised] = [a for a in evaluation.agreement if a["item"] == "recognised"]
    assert (recognised["cases"], recognised["agreement"], recognised["kappa"]) == (2, 0.5, 0.0)
    assert evaluation.item("recognised").deviations == 0  # the second answers never change the evaluation
    [row] = section(export(demo, tmp_path)["Samples"], "Second review")
    assert (row["item"], row["cases"], row["agreement"]) == ("recognised", 2, 0.5)
    with pytest.raises(SignOffRefused, match="bo reviewed cases"):  # a second reviewer is a reviewer too
        sign_off(demo, BO, reviewed.sample_id, users={**USERS, "olivia": ("compliance_officer",)})


def test_the_cli_enforces_four_eyes(cli_env, demo_db) -> None:
    (cli_env.folder / "oversight.toml").write_text('[users.ann]\nroles = ["auditor"]\n[users.bo]\nroles = '
                                                   '["auditor"]\n', encoding="utf-8")
    code, out, _ = run_cli("--user", "ann", "sample", "draw", "--processor", BELCALL, "--period", "2026-10",
                           "--size", "2", "--seed", "eyes", "--format", "json")
    doc = json.loads(out)
    con = connect(demo_db)
    for case in doc["case_ids"]:
        answer_all(con, ANN, doc["sample_id"], case)
    con.close()
    code, _, err = run_cli("--user", "ann", "sample", "signoff", doc["sample_id"])
    assert code == 2 and "four eyes" in err and "bo" in err
    code, out, _ = run_cli("--user", "bo", "sample", "signoff", doc["sample_id"])
    assert code == 0 and "Signed off" in out
