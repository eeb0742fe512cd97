"""`oversight dashboard`: start the Streamlit dashboard from the installed package, wherever the user stands.

The page files and the Streamlit options are package data (dashboard.py, app/, app/streamlit.toml), found through
the import system, never through the current folder, so a `pip install` or pipx install serves the same dashboard as
a checkout. The global options become the dashboard's environment (OVERSIGHT_DB, OVERSIGHT_CONFIG, OVERSIGHT_USER).
It listens on localhost unless told otherwise, and beyond it only with a sign-in (store.access.listen_address).
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
from store.access import AddressRefused, listen_address
from store.errors import OversightError
from store.identity import Config
from store.users_file import load_config


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


def streamlit_command(port: int, address: str, headless: bool, extra: list[str]) -> list[str]:
    """The full `python -m streamlit run` command line: packaged options, then this run's, then the user's."""
    args = [sys.executable, "-m", "streamlit", "run", str(dashboard_script()), *streamlit_options(),
            "--server.port", str(port), "--server.address", address]
    if headless:  # otherwise Streamlit decides: it opens a browser where there is a display to open one on
        args += ["--server.headless", "true"]
    return [*args, *extra]


def _option_values(extra: list[str], name: str) -> list[str] | None:
    """The values of `--name X` / `--name=X` among the options passed on to Streamlit (None: not given)."""
    found = None
    for i, arg in enumerate(extra):
        if arg == name and i + 1 < len(extra):
            found = extra[i + 1]
        elif arg.startswith(f"{name}="):
            found = arg.split("=", 1)[1]
    return None if found is None else [f for f in found.split(",") if f]


def secrets_files(extra: list[str], cwd: Path) -> list[Path]:
    """The secrets.toml files Streamlit will read: `--secrets.files`, else its defaults (home, then this folder)."""
    given = _option_values(extra, "--secrets.files")
    if given is not None:
        return [Path(f) for f in given]
    return [Path.home() / ".streamlit" / "secrets.toml", cwd / ".streamlit" / "secrets.toml"]


def provider_configured(files: list[Path]) -> bool:
    """Whether one of the secrets files has an [auth] section (the identity provider's sign-in, st.login)."""
    for path in files:
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue  # Streamlit will refuse a broken file itself; it gives no sign-in either way
    return False


def serving_address(config: Config, requested: str | None, extra: list[str], cwd: Path) -> str:
    """Where to listen (store.access.listen_address), with the sign-in this configuration and its secrets give."""
    if _option_values(extra, "--server.address") is not None:
        raise AddressRefused("the address given after --", "Streamlit's --server.address is not passed on (use "
                             "--address or [server] address, which this command checks)")
    sign_in = bool(config.password_hashes) or provider_configured(secrets_files(extra, cwd))
    return listen_address(config, requested, sign_in=sign_in)


def dashboard(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="The port to serve on.", min=1, max=65535)] = 8501,
    address: Annotated[str | None, typer.Option(help="The address to listen on (default: [server] address, else "
                                                "localhost; beyond localhost only with a sign-in).")] = None,
    headless: Annotated[bool, typer.Option(help="Do not open a browser window.")] = False,
) -> None:
    """Start the dashboard (Streamlit) on this database, from the installed package.

    Options after `--` go to `streamlit run` unchanged.
    Example: oversight dashboard --port 8502
    """
    options = ctx.obj
    try:
        serving = serving_address(load_config(options.config), address, list(ctx.args), Path.cwd())
    except OversightError as exc:
        fail(str(exc))
    try:
        command = streamlit_command(port, serving, headless, list(ctx.args))
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        fail(f"The dashboard cannot start: {exc}. Reinstall the package (`pip install processor-oversight`).")
    env = dict(os.environ)
    # Absolute paths: Streamlit runs in this folder too, but a relative --db must mean the same file to both. A
    # PostgreSQL store's URL is passed as it is.
    from store.postgres import is_url

    for name, value in (("OVERSIGHT_DB", options.db), ("OVERSIGHT_CONFIG", options.config)):
        if value is not None:
            env[name] = str(value) if is_url(value) else str(Path(value).resolve())
    if options.user is not None:
        env["OVERSIGHT_USER"] = options.user
    typer.echo(f"Serving the dashboard on http://{serving}:{port} (Ctrl+C stops it).", err=True)
    sys.stdout.flush()
    # Replace this process: Ctrl+C and a service manager's stop signal reach Streamlit itself.
    os.execve(sys.executable, command, env)
