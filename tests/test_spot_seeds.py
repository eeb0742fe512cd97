"""Seed discipline (issue 14, item 6): whether a draw's seed was committed before the report arrived, and whether it
was used for another population (refused without a reason), marked on the sample, the page and the pack; the pack
lists every draw of the month."""

from __future__ import annotations

import pytest

from spotchecks.commitments import commit_seed
from spotchecks.errors import InvalidSeed
from spotchecks.samples import draw_sample, enlarge_sample
from spotchecks.seeds import SeedStatus, check_seed
from spotchecks.topup import top_up
from tests.spot_demo import BELCALL, user
from tests.test_export_pack import export, section

AUDITOR = user("auditor")


def test_a_seed_typed_at_the_draw_is_marked_uncommitted(demo) -> None:
    drawn = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=5, seed=12345)
    check = check_seed(demo, drawn.sample_id)
    assert (check.status, check.marked) == (SeedStatus.uncommitted, True)
    assert "not committed before the draw" in check.describe() and drawn.seed_check.marked
    assert any("not committed before the draw" in n for n in drawn.notes)


def test_a_seed_committed_before_the_report_is_not_marked_and_a_late_one_is(demo) -> None:
    early = commit_seed(demo, AUDITOR, "committed-long-before-the-report")
    demo.execute("UPDATE seed_commitments SET committed_at = TIMESTAMP '2020-01-01' WHERE commitment = ?",
                 [early.commitment])
    drawn = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=5, seed=early.seed)
    assert check_seed(demo, drawn.sample_id).status is SeedStatus.committed
    assert not check_seed(demo, drawn.sample_id).marked
    late = commit_seed(demo, AUDITOR, "committed-after-the-report-came")
    drawn = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=5, seed=late.seed)
    assert check_seed(demo, drawn.sample_id).status is SeedStatus.late


def test_a_seed_reused_for_another_population_needs_a_reason_and_is_marked(demo) -> None:
    first = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=5, seed="same-seed")
    again = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=8, seed="same-seed")
    assert not check_seed(demo, again.sample_id).reused_with  # the same population: not a reuse
    with pytest.raises(InvalidSeed, match=f"was used for another population \\({first.sample_id}, "
                                          f"{again.sample_id}\\).*--seed-reuse-reason"):
        draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-09", size=5, seed="same-seed")
    september = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-09", size=5, seed="same-seed",
                            seed_reuse_reason="the auditor's fixed seed for the quarter, agreed with the DPO")
    check = check_seed(demo, september.sample_id)
    assert check.reused_with == (first.sample_id, again.sample_id) and check.marked
    assert "agreed with the DPO" in check.describe()
    assert check_seed(demo, first.sample_id).reused_with == (september.sample_id,)


def test_the_pack_lists_every_draw_of_the_month_with_its_seed_status(demo, tmp_path) -> None:
    drawn = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                        seed=12345)
    enlarge_sample(demo, AUDITOR, drawn.sample_id, 62)
    top_up(demo, AUDITOR, drawn.sample_id, "extension_notice", 1)
    other = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=3, seed="second")
    sheet = export(demo, tmp_path)["Samples"]
    draws = section(sheet, "Draws")
    assert [(d["sample_id"], d["what"]) for d in draws] == [
        (drawn.sample_id, "draw"), (drawn.sample_id, "enlargement"), (drawn.sample_id, "top-up: extension_notice"),
        (other.sample_id, "draw")]
    assert {d["seed_status"] for d in draws} == {"not committed (marked)"}
    samples = section(sheet, "Samples")
    assert [s["seed_status"] for s in samples] == ["not committed (marked)"] * 2
