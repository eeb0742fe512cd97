"""`make run` as a new user's first start: `oversight dashboard` without --headless, on a machine where Streamlit has
never run (no ~/.streamlit), with nobody answering on the terminal (stdin closed, as under a script or a service
manager). Streamlit's first-run e-mail prompt ended that start before it served a page (app/streamlit.toml now
switches the prompt off, and the launcher leaves "headless" to Streamlit unless asked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import browser_kit as kit
from tests.conftest import LOCAL_MODE_CONFIG, ROOT


def test_the_first_start_serves_without_asking_anything_on_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "oversight.toml").write_text(LOCAL_MODE_CONFIG, encoding="utf-8")
    home = tmp_path / "home"  # Streamlit has never run here: no credentials file, so it would ask for an e-mail
    home.mkdir()
    port = kit.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_") and k != "DISPLAY"}
    env.update(HOME=str(home), OVERSIGHT_DB=str(tmp_path / "o.duckdb"), OVERSIGHT_DEMO="0", PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "cli", "dashboard", "--port", str(port), "--", "--server.fileWatcherType", "none"]
    log = tmp_path / "streamlit.log"
    with kit.started(args, log, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL) as process:
        kit.wait_healthy(f"http://127.0.0.1:{port}", process, log)
        assert process.poll() is None
    assert "Email:" not in log.read_text(encoding="utf-8")
