"""`oversight sample ...`: every sub-command, its JSON contract (docs/architecture.md) and its refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from store.db import connect
from store.identity import User
from tests.conftest import CliEnv, run_cli
from tests.spot_demo import BELCALL, answer_all


def run_json(*args: str) -> object:
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def draw(*extra: str) -> dict:
    return run_json("sample", "draw", "--processor", BELCALL, "--period", "2026-10", *extra)


def test_plan_json_gives_n_and_model() -> None:
    doc = run_json("sample", "plan", "--confidence", "0.95", "--tolerable", "0.05", "--expected", "0.01")
    assert doc["n"] == 93 and doc["model"] == "binomial" and doc["expected_deviations"] == 1
    assert {"confidence", "tolerable", "expected", "population", "max_deviations", "fixed", "notes"} <= set(doc)


def test_plan_text_and_the_hypergeometric_model() -> None:
    code, out, _ = run_cli("sample", "plan", "--confidence", "95%", "--tolerable", "5%")
    assert code == 0 and out.startswith("n = 59 cases (binomial")
    doc = run_json("sample", "plan", "--confidence", "0.95", "--tolerable", "0.05", "--population", "200",
                   "--model", "hypergeometric")
    assert doc["model"] == "hypergeometric" and doc["n"] < 59 and doc["population"] == 200


def test_plan_refusals_name_the_argument_without_a_traceback() -> None:
    code, out, err = run_cli("sample", "plan", "--confidence", "0.95", "--tolerable", "0.05", "--expected", "0.06")
    assert code == 2 and "'expected'" in err and "Traceback" not in err + out


def test_draw_json_contract_and_reproducibility(cli_env: CliEnv, demo_db: Path) -> None:
    doc = draw("--confidence", "0.95", "--tolerable", "0.05", "--seed", "12345")
    assert {"sample_id", "seed", "population_size", "fingerprint", "case_ids"} <= set(doc)
    assert doc["seed"] == "12345" and doc["population_size"] == 332 and len(doc["case_ids"]) == 59
    assert len(doc["fingerprint"]) == 64
    again = draw("--size", "59", "--seed", "12345")
    assert again["case_ids"] == doc["case_ids"] and again["sample_id"] != doc["sample_id"]


def test_draw_text_shows_the_seed_and_refuses_major_key_items_without_a_check_run(cli_env: CliEnv,
                                                                                   demo_db: Path) -> None:
    code, out, _ = run_cli("sample", "draw", "--processor", BELCALL, "--period", "2026-10", "--size", "10",
                           "--method", "stratified", "--by", "channel")
    assert code == 0 and "Seed: " in out and "(drawn from the OS)" in out and "stratified by channel" in out
    code, _, err = run_cli("sample", "draw", "--processor", BELCALL, "--period", "2026-10", "--size", "10",
                           "--key-items", "breaches")  # the old name of `major`, still accepted
    assert code == 2 and "Key items 'major'" in err and "run `oversight check` first" in err


def test_list_and_show(cli_env: CliEnv, demo_db: Path) -> None:
    doc = draw("--size", "5", "--seed", "s", "--key-items", "refusals")
    listed = run_json("sample", "list")
    assert [s["sample_id"] for s in listed] == [doc["sample_id"]] and listed[0]["random_items"] == 5
    shown = run_json("sample", "show", doc["sample_id"])
    assert shown["seed"] == "s" and [i["case_id"] for i in shown["items"]] == doc["case_ids"]
    code, out, _ = run_cli("sample", "show", doc["sample_id"])
    assert code == 0 and "0 of " in out and "fully reviewed" in out and doc["case_ids"][0] in out
    code, _, err = run_cli("sample", "show", "S-1999-0001")
    assert code == 2 and "There is no sample 'S-1999-0001'" in err


def test_verify_exits_0_when_it_matches_and_1_when_it_does_not(cli_env: CliEnv, demo_db: Path) -> None:
    doc = draw("--size", "20", "--seed", "v")
    code, out, _ = run_cli("sample", "verify", doc["sample_id"])
    assert code == 0 and "matches" in out
    con = duckdb.connect(str(demo_db))
    con.execute("DELETE FROM cases WHERE case_id = ? AND submission_id = ?", [doc["case_ids"][0],
                                                                                doc["submission_id"]])
    con.close()
    code, _, err = run_cli("sample", "verify", doc["sample_id"])
    assert code == 1 and "does not match" in err
    verdict = json.loads(run_cli("sample", "verify", doc["sample_id"], "--format", "json")[1])
    assert verdict["matches"] is False and doc["case_ids"][0] in verdict["missing"]


def test_review_records_and_refuses_no_without_comment(cli_env: CliEnv, demo_db: Path) -> None:
    doc = draw("--size", "5", "--seed", "r")
    case = doc["case_ids"][0]
    code, out, _ = run_cli("sample", "review", doc["sample_id"], case, "timely", "no", "--comment", "day 41")
    assert code == 0 and "timely = no (a deviation, logged against SCC 8(b))" in out
    code, _, err = run_cli("sample", "review", doc["sample_id"], case, "identity", "no")
    assert code == 2 and "needs a comment" in err
    code, _, err = run_cli("sample", "review", doc["sample_id"], "BC-000000-00", "timely", "yes")
    assert code == 2 and "is not in sample" in err


def test_review_is_refused_for_a_viewer(cli_env: CliEnv, demo_db: Path) -> None:
    doc = draw("--size", "5", "--seed", "r")
    (cli_env.folder / "oversight.toml").write_text('[users.vera]\nroles = ["viewer"]\n')
    code, _, err = run_cli("--user", "vera", "sample", "review", doc["sample_id"], doc["case_ids"][0], "timely", "yes")
    assert code == 2 and "may not record a review" in err


def test_evaluate_json_per_item(cli_env: CliEnv, demo_db: Path) -> None:
    doc = draw("--confidence", "0.95", "--tolerable", "0.05", "--seed", "e")
    con = connect(demo_db)  # 59 reviews through the service; the CLI's own review is tested above
    for case in doc["case_ids"]:
        answer_all(con, User("ann", ("auditor",)), doc["sample_id"], case)
    con.close()
    evaluation = run_json("sample", "evaluate", doc["sample_id"])
    timely = next(i for i in evaluation["items"] if i["item"] == "timely")
    assert {"item", "applicable", "reviewed", "deviations", "deviation_case_ids", "upper_limit", "tolerable",
            "conclusion", "more_needed"} <= set(timely)
    assert (timely["reviewed"], timely["deviations"], timely["conclusion"]) == (59, 0, "relied_on")
    assert timely["upper_limit"] <= timely["tolerable"] == 0.05
    assert evaluation["verdict"] in ("relied_on", "insufficient") and evaluation["sample_id"] == doc["sample_id"]
    code, out, _ = run_cli("sample", "evaluate", doc["sample_id"])
    assert code == 0 and "timely" in out and "Verdict:" in out
    con = connect(demo_db)
    assert con.execute("SELECT count(*) FROM sample_evaluations").fetchall() == [(0,)]  # evaluate only reads
    con.close()
    code, out, _ = run_cli("sample", "signoff", doc["sample_id"])
    assert code == 0 and "Signed off" in out


def test_commit_prints_the_seed_and_its_commitment_and_a_later_draw_matches_it(cli_env: CliEnv, demo_db: Path) -> None:
    committed = run_json("sample", "commit")
    assert committed["commitment"] == hashlib.sha256(committed["seed"].encode()).hexdigest()
    code, out, _ = run_cli("sample", "commit", "--seed", "a-long-enough-seed-for-q4")
    assert code == 0 and "Commitment (SHA-256 of the seed): " in out
    doc = draw("--size", "5", "--seed", committed["seed"])
    assert doc["commitment"]["commitment"] == committed["commitment"]


def test_enlarge_and_replace(cli_env: CliEnv, demo_db: Path) -> None:
    doc = draw("--size", "10", "--seed", "grow")
    code, out, _ = run_cli("sample", "enlarge", doc["sample_id"], "--size", "12")
    assert code == 0 and out.startswith("Added 2 case(s)")
    code, out, _ = run_cli("sample", "replace", doc["sample_id"], doc["case_ids"][0], "--reason", "duplicate_entry",
                           "--note", "same as BC-1")
    assert code == 0 and "1 replacement(s)" in out and "duplicate entry: same as BC-1" in out
    code, _, err = run_cli("sample", "replace", doc["sample_id"], doc["case_ids"][1], "--reason", "file unavailable")
    assert code == 2 and "only when it is not in the population" in err and "unable" in err
