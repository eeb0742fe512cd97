"""`oversight user ...`: the users of the configuration file, their roles, e-mail and password hash (wiring only)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import Format, emit, fail
from store.access import acting_user
from store.audit import configured_key, use_key_file
from store.db import connect, resolve_db, wait_seconds
from store.errors import DatabaseLocked, OversightError
from store.identity import ALL_ROLES, Config
from store.passwords import check_new_password, hash_password
from store.users_file import DEFAULT_CONFIG, add_user, load_config, resolve_config_path

user_app = typer.Typer(help="Add users of the dashboard and the CLI, with their roles, to the configuration file.",
                       no_args_is_help=True)

Role = StrEnum("Role", {role: role for role in ALL_ROLES})

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="Configuration file (default: the global --config, $OVERSIGHT_CONFIG or ./oversight.toml).")]


def _config_path(ctx: typer.Context, config: Path | None) -> Path:
    return config or ctx.obj.config or resolve_config_path() or DEFAULT_CONFIG


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line of standard input, as `docker login --password-stdin` reads it.
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (for --user, the sign-in form and the audit trail).")],
    role: Annotated[list[Role], typer.Option("--role", help="A role of the user; repeat for several.")],
    email: Annotated[str | None, typer.Option(help="The address the identity provider gives for the user.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from the first line of stdin.")] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="Set no password (signs in through the "
                                              "identity provider); an existing one is kept.")] = False,
    processor: Annotated[str | None, typer.Option(
        help="With --role processor: the processor (as the register names it) whose staff the user is; the user "
             "sees that processor's data only.")] = None,
    config: ConfigOption = None,
) -> None:
    """Add a user, or change their roles and password; the password is stored only as a scrypt hash.

    Asks for the password twice unless --password-stdin or --no-password is given. The change is recorded in the
    database's audit trail (user.added or user.changed, without the password or its hash); it runs while the
    dashboard does, waiting briefly if another program is writing to the database.

    Example: oversight user add vera --role vendor_manager --role viewer
    Example: oversight user add piet --role processor --processor "Belcall Antwerpen BV"
    """
    path = _config_path(ctx, config)
    db = resolve_db(ctx.obj.db)
    try:
        loaded = load_config(path) if path.exists() else Config(path=None)
        use_key_file(db, configured_key(loaded.audit_key_file, loaded.key_file))
        con = connect(db, wait=wait_seconds())  # before the password is asked for: a busy database refuses first
        try:
            acting = acting_user(con, loaded, ctx.obj.user)
            password_hash = None
            if not no_password:
                password = _read_password(password_stdin)
                check_new_password(password)
                password_hash = hash_password(password)
            saved = add_user(con, path, name, [str(r) for r in role], acting=acting, password_hash=password_hash,
                             email=email, processor=processor)
        finally:
            con.close()
    except DatabaseLocked as exc:
        who = f" ({exc.holder})" if exc.holder else ""
        fail(f"{path} was not changed: a change of users is recorded in the audit trail of the database {exc.path}, "
             f"which another program{who} held for longer than this command waits (DuckDB lets one program at a "
             "time write to it; a long ingest or check run holds it until it is done). Run the command again when "
             "that has finished.")
    except OversightError as exc:
        fail(str(exc))
    except duckdb.Error as exc:
        fail(f"The database reported an error: {str(exc).splitlines()[0]}. {path} was not changed.")
    if saved.event_seq is None:
        typer.echo(f"User {name} already has exactly these settings in {path}; nothing was written.")
        return
    what = "Added" if saved.created else "Updated"
    how = " with a new password" if password_hash else ""
    typer.echo(f"{what} user {name} ({', '.join(map(str, role))}) in {path}{how}. Recorded as audit event "
               f"{saved.event_seq} in {db}.")


@user_app.command("list")
def list_users(
    ctx: typer.Context,
    config: ConfigOption = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the configured users with their roles, e-mail address and whether they have a password.

    Example: oversight user list --format json
    """
    path = _config_path(ctx, config)
    try:
        loaded = load_config(path) if path.exists() else Config(path=None)
    except OversightError as exc:
        fail(str(exc))
    emails = {name: address for address, name in loaded.emails.items()}
    records = [{"name": name, "roles": list(roles), "email": emails.get(name),
                "password": name in loaded.password_hashes, "processor": loaded.user_processors.get(name)}
               for name, roles in sorted(loaded.users.items())]
    if not records and format is Format.text:
        typer.echo(f"No users are configured in {path}: everyone is the local user with all roles. "
                   "Add one with: oversight user add NAME --role compliance_officer")
        return
    emit(records, format, ["name", "roles", "email", "password", "processor"])
