"""Committing to a seed from the Spot checks page (docs/sampling.md, Draw): the seed is shown once, only its SHA-256 is
stored, and a later draw with it says it matches the commitment."""

from __future__ import annotations

import hashlib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from store.db import connect
from tests.conftest import AppEnv, copy_demo
from tests.spot_demo import BELCALL

ROOT = Path(__file__).resolve().parent.parent


def test_a_seed_committed_on_the_page_is_shown_once_and_matched_by_the_draw(
        app_env: AppEnv, demo_files: tuple[Path, Path]) -> None:
    copy_demo(demo_files, app_env.db, app_env.key)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("app/spotchecks.py").run()
    at.selectbox(key="filter_processor").set_value(BELCALL).run()
    at.selectbox(key="filter_period").set_value("2026-10").run()
    assert at.session_state["step"] == "Plan and draw"  # no sample yet
    at.button(key="spot_commit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [shown] = at.code
    seed = str(shown.value)
    assert len(seed) >= 16  # a generated seed, long enough not to be guessed from its commitment
    digest = hashlib.sha256(seed.encode()).hexdigest()
    assert f"`{digest}`" in "\n".join(str(c.value) for c in at.caption)
    con = connect(app_env.db)
    try:
        assert con.execute("SELECT commitment FROM seed_commitments").fetchall() == [(digest,)]
        [(details,)] = con.execute("SELECT details FROM audit_events WHERE action = 'seed.committed'").fetchall()
        assert seed not in str(details) and digest in str(details)  # the trail holds the commitment, never the seed
    finally:
        con.close()

    at.button(key="spot_commit_kept").click().run()
    assert not at.code  # shown once: gone when the user says it is kept
    at.text_input(key="spot_seed").set_value(seed).run()
    at.button(key="spot_draw").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["step"] == "Sample"
    assert "matches the commitment" in "\n".join(str(c.value) for c in at.caption)
