"""A real package: the wheel built from the repository's files, installed (not editable) into a folder of its own, runs
every command from another folder and serves the dashboard — its data found through importlib.resources.

The wheel is built from a copy of the files git knows (tracked, or new and not ignored), so a file the product needs
but the repository forgot, or data the wheel does not carry, fails here. The dependencies are this virtual
environment's; the product's own modules must all come from the installed folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_kit import chromium, free_port, require_chromium, started, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["app", "casefile", "checks", "commands", "contracts", "exports", "findings", "ingest", "metrics",
            "registry", "sample_reports", "spotchecks", "store", "vocab"]


@dataclass(frozen=True)
class Installed:
    """The installed package: its folder (on PYTHONPATH), its console script, the wheel, and a folder to work in."""

    site: Path
    script: Path
    wheel: Path
    elsewhere: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
        return {**env, "PYTHONPATH": str(self.site), **extra}

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.script), *args], cwd=self.elsewhere, capture_output=True, text=True,
                              env=self.env(**extra), timeout=300)


def _repository_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [name for name in listed if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("installed")
    source = base / "source"
    for name in _repository_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
                   check=True, timeout=600)
    wheel = next(wheels.glob("processor_oversight-*.whl"))
    site = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, timeout=600)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    yield Installed(site, site / "bin" / "oversight", wheel, elsewhere)


def test_the_wheel_carries_the_products_data(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for needed in ["dashboard.py", "cli.py", "app/overview.py", "app/streamlit.toml", "app/static/favicon.png",
                   "contracts/default.toml", "contracts/nl.toml", "contracts/fr.toml", "sample_reports/manifest.toml",
                   "sample_reports/belcall/belcall_2026-10.csv", "sample_reports/appelia/appelia_2026-10.xlsx"]:
        assert needed in names, needed
    assert not any(name.startswith("tests/") for name in names)


def test_every_module_comes_from_the_installed_folder(installed):
    # find_spec, not import: importing dashboard.py would run the page outside Streamlit
    probe = ("import importlib.util, json, sys; names = sys.argv[1:]; "
             "print(json.dumps({n: importlib.util.find_spec(n).origin for n in names}))")
    done = subprocess.run([sys.executable, "-c", probe, "cli", "dashboard", *PACKAGES], cwd=installed.elsewhere,
                          capture_output=True, text=True, env=installed.env(), check=True)
    for name, origin in json.loads(done.stdout).items():
        assert Path(origin).is_relative_to(installed.site), (name, origin)


def test_the_commands_work_from_any_folder(installed):
    db = str(installed.elsewhere / "data" / "o.duckdb")
    version = installed.run("--version")
    assert version.returncode == 0 and version.stdout.startswith("oversight ")

    demo = installed.run("--db", db, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "belcall_2026-10.csv: loaded as submission" in demo.stdout

    profiles = installed.run("--db", db, "profile", "list", "--format", "json")
    assert profiles.returncode == 0, profiles.stderr
    assert [p["name"] for p in json.loads(profiles.stdout)] == ["default", "fr", "nl"]

    check = installed.run("--db", db, "check", "--format", "json")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout), "the demo reports have planted problems: the checks must find some"

    deadline = installed.run("deadline", "2026-01-31", "--format", "json")
    assert json.loads(deadline.stdout)["due_on"] == "2026-03-02"  # EDPB Guidelines 01/2022 §160, rolled to Monday


@pytest.mark.browser
def test_the_installed_dashboard_serves_from_any_folder(installed):
    require_chromium()
    port = free_port()
    folder = installed.elsewhere / "served"
    folder.mkdir()
    (folder / "oversight.toml").write_text("", encoding="utf-8")
    env = installed.env(OVERSIGHT_CONFIG=str(folder / "oversight.toml"), OVERSIGHT_KEY_FILE=str(folder / "o.key"))
    log = folder / "streamlit.log"
    args = [str(installed.script), "--db", str(folder / "o.duckdb"), "dashboard", "--headless", "--address",
            "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with started(args, log, cwd=installed.elsewhere, env=env) as process:
        wait_healthy(url, process, log)
        # `oversight dashboard` replaced itself with Streamlit, running the installed entry page
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert str(installed.site / "dashboard.py").encode() in command_line
        with chromium() as browser:
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("What needs attention").first.wait_for(timeout=90_000)
            assert page.title() == "Overview · Processor oversight"
    assert (folder / "o.duckdb").exists()  # the global --db reached the dashboard's process
