"""Tolerable rates per rubric item (issue 14, item 5): `[tolerable_rates]` in the contract profile with the issue's
defaults, validated like every profile key; a draw without --tolerable is sized for the most demanding item that
applies, and each item is evaluated against its own rate."""

from __future__ import annotations

import pytest

from checks.contract import load_profile
from spotchecks.evaluate import evaluate_sample
from spotchecks.plan import plan_sample
from spotchecks.samples import draw_sample
from tests.spot_demo import BELCALL, answer_all, user
from tests.test_contract import child, folder, refused  # noqa: F401 (folder is a fixture)

AUDITOR = user("auditor")
DEFAULTS = {"identity": 0.03, "refusal_notice": 0.03, "extension_notice": 0.05, "timely": 0.05, "escalation": 0.05,
            "recognised": 0.05, "minimisation": 0.05, "substance": 0.10}


def test_the_default_profile_holds_the_issues_rates() -> None:
    assert load_profile("default").tolerable_rates == DEFAULTS
    assert load_profile("nl").tolerable_rates == DEFAULTS  # inherited


def test_a_profile_may_set_one_items_rate(folder) -> None:  # noqa: F811
    assert load_profile(child(folder, "[tolerable_rates]\ntimely = 0.02")).tolerable_rates == {**DEFAULTS,
                                                                                                "timely": 0.02}


@pytest.mark.parametrize(("body", "key", "reason"), [
    ("timely = 1.5", "tolerable_rates.timely", "must be a rate above 0 and below 1"),
    ("timely = 0", "tolerable_rates.timely", "must be a rate above 0 and below 1"),
    ('timely = "5%"', "tolerable_rates.timely", "must be a rate above 0 and below 1"),
    ("timelyness = 0.05", "tolerable_rates.timelyness", "unknown key"),
])
def test_a_wrong_rate_or_item_is_refused(folder, body, key, reason) -> None:  # noqa: F811
    refused(child(folder, f"[tolerable_rates]\n{body}"), key, reason)


def test_a_draw_without_a_rate_is_sized_for_the_most_demanding_item_that_applies(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", seed="rates")
    assert sample.plan.tolerable == 0.03 and sample.plan.n == plan_sample("0.95", "0.03").n == 99
    assert any(n.startswith("Sized for identity, the most demanding rubric item") for n in sample.notes)
    for pick in sample.random_part:
        answer_all(demo, AUDITOR, sample.sample_id, pick.case_id)
    evaluation = evaluate_sample(demo, sample.sample_id)
    assert {i.item: i.tolerable for i in evaluation.items} == DEFAULTS
    assert evaluation.item("substance").conclusion == "relied_on"  # 10 %: fewer cases suffice


def test_a_rate_given_for_the_draw_applies_to_every_item(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         seed=12345, key_items="refusals")
    assert sample.plan.n == 59
    assert {i.tolerable for i in evaluate_sample(demo, sample.sample_id).items} == {0.05}



def test_the_page_can_draw_with_the_profiles_rates_per_item(app_env, demo_db) -> None:
    from tests.conftest import with_db
    from tests.test_spot_app import open_page

    at = open_page(processor=BELCALL, period="2026-10")
    at.toggle(key="spot_per_item_rates").set_value(True).run()
    at.text_input(key="spot_seed").set_value("12345").run()
    at.button(key="spot_draw").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [(n, plan)] = with_db(lambda con: con.execute("SELECT requested_n, plan FROM samples").fetchall())
    assert n == 99 and '"tolerable_rates"' in plan
