"""`oversight key ...`: the pseudonymisation key ring: list, rotate, retire (wiring only; store/keyring.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import Format, emit, run
from store.identity import User

key_app = typer.Typer(help="The pseudonymisation keys: list them, rotate to a new key, retire (destroy) an old one.",
                      no_args_is_help=True)

COLUMNS = ["key_id", "created_at", "status", "link_until", "retired_at", "pseudonyms", "links", "file_present"]


def _key_path(path: Path) -> Path:
    from ingest.pseudonym import resolve_key_path

    return resolve_key_path(path)


def overlap_days() -> int:
    """The overlap window of a rotation: the longest repeat_window_days of any contract profile."""
    from checks.profiles import list_profiles, load_profile

    return max((load_profile(name).parameters.repeat_window_days for name in list_profiles()), default=90)


@key_app.command("list")
def list_command(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List every key: its id, when it was made, its status and the pseudonyms made with it.

    A retired key's file is destroyed: the pseudonyms it made can no longer be linked to anyone.

    Example: oversight key list --format json
    """
    from store.keyring import list_keys

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        keys = [k.as_dict() for k in list_keys(con, _key_path(path))]
        emit(keys, format, COLUMNS if format is not Format.json else list(keys[0]) if keys else COLUMNS)
        if format is Format.text:
            for k in keys:
                if k["status"] == "retired":
                    typer.echo(f"Key {k['key_id']} is retired and destroyed: its {k['pseudonyms']} pseudonym(s) are "
                               "unlinkable.")

    run(ctx, work)


@key_app.command("rotate")
def rotate_command(
    ctx: typer.Context,
    overlap: Annotated[int | None, typer.Option("--overlap-days", min=1, help="Days during which new reports are "
                                                "linked to the old key (default: the longest repeat_window_days "
                                                "of the contract profiles).")] = None,
) -> None:
    """Start a new pseudonymisation key; the old one stays live for the overlap window, then can be retired.

    During the window each new report's references are also hashed with the old key and linked, so repeat requests
    still match across the rotation. Audited as key.rotated.

    Example: oversight key rotate
    """
    from store.keyring import rotate

    days = overlap or overlap_days()

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        done = rotate(con, user, _key_path(path), overlap_days=days)
        typer.echo(f"New key {done.new_key_id} is current. Key {done.previous_key_id} stays live, linked to it "
                   f"until {done.link_until}; then retire it: oversight key retire {done.previous_key_id}")

    run(ctx, work)


@key_app.command("retire")
def retire_command(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The id of a previous key (oversight key list).")],
) -> None:
    """Destroy a previous key and every link from its pseudonyms: they become unlinkable (crypto-shredding).

    Audited as key.retired, with counts only.

    Example: oversight key retire 3f9a0c1d2b4e5f60
    """
    from store.keyring import retire

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        done = retire(con, user, _key_path(path), key_id)
        typer.echo(f"Key {done.key_id} is destroyed and {done.links_removed} link(s) removed: the "
                   f"{done.pseudonyms_unlinkable} pseudonym(s) it made are unlinkable; a reference hashed again "
                   "no longer matches them.")

    run(ctx, work)
