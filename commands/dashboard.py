"""`oversight dashboard`: start the Streamlit dashboard from the installed package, wherever the user stands.

The page files and the Streamlit options are package data (dashboard.py, app/, app/streamlit.toml), found through
the import system, never through the current folder, so a `pip install` or pipx install serves the same dashboard as
a checkout. The global options become the dashboard's environment (OVERSIGHT_DB, OVERSIGHT_CONFIG, OVERSIGHT_USER).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from commands.common import fail


def dashboard_script() -> Path:
    """Return the installed dashboard.py (the Streamlit entry page), without running it."""
    spec = importlib.util.find_spec("dashboard")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("dashboard.py is not installed with this package")
    return Path(spec.origin)


def streamlit_options() -> list[str]:
    """The packaged Streamlit options (app/streamlit.toml) as `streamlit run` command-line options."""
    text = resources.files("app").joinpath("streamlit.toml").read_text(encoding="utf-8")
    return [arg for section, values in tomllib.loads(text).items() for key, value in values.items()
            for arg in (f"--{section}.{key}", _flag_value(value))]


def _flag_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def streamlit_command(port: int, address: str | None, headless: bool, extra: list[str]) -> list[str]:
    """The full `python -m streamlit run` command line: packaged options, then this run's, then the user's."""
    args = [sys.executable, "-m", "streamlit", "run", str(dashboard_script()), *streamlit_options(),
            "--server.port", str(port), "--server.headless", _flag_value(headless)]
    if address:
        args += ["--server.address", address]
    return [*args, *extra]


def dashboard(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="The port to serve on.", min=1, max=65535)] = 8501,
    address: Annotated[str | None, typer.Option(help="The address to listen on (default: Streamlit's).")] = None,
    headless: Annotated[bool, typer.Option(help="Do not open a browser window.")] = False,
) -> None:
    """Start the dashboard (Streamlit) on this database, from the installed package.

    Options after `--` go to `streamlit run` unchanged.
    Example: oversight dashboard --port 8502
    """
    try:
        command = streamlit_command(port, address, headless, list(ctx.args))
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        fail(f"The dashboard cannot start: {exc}. Reinstall the package (`pip install processor-oversight`).")
    options = ctx.obj
    env = dict(os.environ)
    # Absolute paths: Streamlit runs in this folder too, but a relative --db must mean the same file to both.
    for name, value in (("OVERSIGHT_DB", options.db), ("OVERSIGHT_CONFIG", options.config)):
        if value is not None:
            env[name] = str(Path(value).resolve())
    if options.user is not None:
        env["OVERSIGHT_USER"] = options.user
    typer.echo(f"Serving the dashboard on http://{address or 'localhost'}:{port} (Ctrl+C stops it).", err=True)
    sys.stdout.flush()
    # Replace this process: Ctrl+C and a service manager's stop signal reach Streamlit itself.
    os.execve(sys.executable, command, env)
