"""The configuration file (`oversight.toml`): reading and validating it, and adding or updating one user in it.

A user is a table ``[users.NAME]`` with ``roles = [...]`` and optionally ``email = "..."`` (how the organisation's
identity provider names them) and ``password_hash = "scrypt$..."`` (for the dashboard's own sign-in form); ``[paths]
inbox`` names the inbox folder; ``[access] mode = "local"`` chooses working without users, ``[server] address`` where
the dashboard listens (store.access decides what they allow); ``[controller] country`` the controller's Member State,
whose holidays the statutory deadlines count (docs/deadlines.md). Any other table or key is refused, naming it. Who
may do what with those users is store.identity's concern.

The file is not the database, but a change made by `add_user` is a state change like any other (docs/findings.md, "Audit
trail"): it appends a "user.added" or "user.changed" event, never with the password or its hash.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from store import audit
from store.db import transaction
from store.errors import ConfigError
from store.files import replace_atomically
from store.identity import ALL_ROLES, PROCESSOR_ROLE, Config, User, require
from store.limits import parse_limits
from store.passwords import InvalidPasswordHash, parse_hash
from store.retention_periods import parse_retention

PERMISSION = "manage users"
DEFAULT_CONFIG = Path("oversight.toml")
NEW_FILE_MODE = 0o600  # it holds password hashes

USER_KEYS = ("roles", "email", "password_hash", "processor", "processor_id")
LOCAL_MODE = "local"
# The top-level tables and, for the plain ones, their keys (text values); None: checked where it is parsed.
TABLES: dict[str, tuple[str, ...] | None] = {
    "users": None,
    "paths": ("inbox", "audit_key_file", "key_file"),
    "access": ("mode",),
    "server": ("address",),
    "controller": ("country",),
    "limits": None,  # store.limits.parse_limits
    "retention": None,  # whole numbers of months, not text: store.retention_periods.parse_retention
    "ingest": None,  # keep_notes, true or false (a switch, not text): _parse_ingest
}
INGEST_KEYS = ("keep_notes",)
USER_NAME = re.compile(r"[\w.@+-]{1,64}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class SavedUser:
    """What `add_user` did: whether the user is new, and the audit event (None when nothing changed)."""

    name: str
    created: bool
    event_seq: int | None


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the configuration path: the argument, else OVERSIGHT_CONFIG, else ./oversight.toml if present."""
    if path:
        return Path(path)
    env = os.environ.get("OVERSIGHT_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read users, roles and paths from the configuration file (no file: no users, access control off)."""
    resolved = resolve_config_path(path)
    if resolved is None:
        return Config(path=None)
    try:
        data = tomllib.loads(resolved.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"The configuration file {resolved} does not exist. Check --config or OVERSIGHT_CONFIG "
                          "(a deployment never runs without its configuration: access control would be off).") \
            from None
    except (OSError, UnicodeDecodeError) as exc:  # a folder, no permission, not UTF-8 text
        raise ConfigError(f"The configuration file {resolved} could not be read ({exc}). Point --config or "
                          "OVERSIGHT_CONFIG at the UTF-8 TOML file holding the users.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The configuration file {resolved} is not valid TOML: {exc}. Correct it; nothing was "
                          "done.") from None
    return parse_config(data, resolved)


def check_known_keys(data: Mapping[str, object], path: Path) -> None:
    """Refuse a table or key this version does not know, naming it: a misspelt ``[user.x]`` or ``[Users.x]`` must not
    leave the file without users and so turn access control off (issue 18, "fail closed")."""
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) or key(s) {', '.join(f'[{t}]' for t in unknown)}; the "
                          f"configuration knows {', '.join(f'[{t}]' for t in TABLES)} (e.g. [users.NAME]). Correct "
                          "the spelling; nothing was done.")
    for table, keys in TABLES.items():
        section = data.get(table)
        if section is None or keys is None:
            continue
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [{table}] must be a table with {', '.join(keys)}.")
        extra = sorted(set(section) - set(keys))
        if extra:
            raise ConfigError(f"{path}: [{table}] has unknown key(s) {', '.join(extra)}; it knows "
                              f"{', '.join(keys)}. Correct the spelling; nothing was done.")
        for key in keys:
            if key in section and not (isinstance(section[key], str) and section[key].strip()):
                raise ConfigError(f'{path}: [{table}] {key} must be a non-empty text, e.g. {key} = "...".')


def parse_config(data: Mapping[str, object], path: Path) -> Config:
    """Validate the parsed TOML of a configuration file; refuse with file, user and reason."""
    check_known_keys(data, path)
    users: dict[str, tuple[str, ...]] = {}
    hashes: dict[str, str] = {}
    emails: dict[str, str] = {}
    processors: dict[str, str] = {}
    processor_ids: dict[str, int] = {}
    table = data.get("users") or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: users must be tables [users.NAME] with roles = [...].")
    for name, entry in table.items():
        where = f"{path}: [users.{name}]"
        roles = entry.get("roles") if isinstance(entry, dict) else None
        if not isinstance(roles, list) or not roles:
            raise ConfigError(f"{where} needs roles = [...] with one or more of {', '.join(ALL_ROLES)}.")
        unknown = [r for r in roles if r not in ALL_ROLES]
        if unknown:
            raise ConfigError(f"{where} has unknown role(s) {', '.join(map(str, unknown))}; "
                              f"the roles are {', '.join(ALL_ROLES)}.")
        _check_processor_binding(entry, roles, where, name, processors, processor_ids)
        extra = sorted(set(entry) - set(USER_KEYS))
        if extra:
            raise ConfigError(f"{where} has unknown key(s) {', '.join(extra)}; a user has {', '.join(USER_KEYS)}.")
        users[name] = tuple(roles)
        if "password_hash" in entry:
            try:
                parse_hash(entry["password_hash"] if isinstance(entry["password_hash"], str) else "")
            except InvalidPasswordHash as exc:
                raise ConfigError(f"{where} password_hash {exc}. Set the password again with "
                                  f"`oversight user add {name} --role ...`.") from None
            hashes[name] = entry["password_hash"]
        addresses = [name] if EMAIL.fullmatch(name) else []
        if "email" in entry:
            if not isinstance(entry["email"], str) or not EMAIL.fullmatch(entry["email"]):
                raise ConfigError(f'{where} email must be an e-mail address, e.g. email = "vera@example.org".')
            addresses.append(entry["email"])
        for address in addresses:
            other = emails.setdefault(address.casefold(), name)
            if other != name:
                raise ConfigError(f"{path}: the e-mail address {address} belongs to both [users.{other}] and "
                                  f"[users.{name}]; an identity-provider sign-in must name one user.")
    inbox = (data.get("paths") or {}).get("inbox")
    audit_key = (data.get("paths") or {}).get("audit_key_file")
    key_file = (data.get("paths") or {}).get("key_file")
    mode = (data.get("access") or {}).get("mode")
    if mode is not None and mode != LOCAL_MODE:
        raise ConfigError(f'{path}: [access] mode "{mode}" is not known; the only mode to choose is '
                          f'mode = "{LOCAL_MODE}" (no users, everyone has every role). With users, leave it out.')
    if mode == LOCAL_MODE and users:
        raise ConfigError(f'{path}: [access] mode = "{LOCAL_MODE}" gives everyone every role, but users are '
                          "configured too. Remove the [access] table to sign users in, or the users to work "
                          "locally.")
    address = (data.get("server") or {}).get("address")
    country = _controller_country((data.get("controller") or {}).get("country"), path)
    return Config(path=path, users=users, password_hashes=hashes, emails=emails,
                  inbox=Path(inbox) if inbox else None, local_mode=mode == LOCAL_MODE,
                  server_address=address.strip() if address else None,
                  audit_key_file=Path(audit_key) if audit_key else None,
                  key_file=Path(key_file) if key_file else None,
                  limits=parse_limits(data.get("limits"), path), controller_country=country,
                  user_processors=processors, user_processor_ids=processor_ids,
                  retention=parse_retention(data.get("retention"), path),
                  keep_notes=_parse_ingest(data.get("ingest"), path))


def _parse_ingest(section: object, path: Path) -> bool:
    """`[ingest] keep_notes = true|false` (default false: GDPR Art. 5(1)(c), case notes are not stored)."""
    if section is None:
        return False
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [ingest] must be a table with {', '.join(INGEST_KEYS)}.")
    extra = sorted(set(section) - set(INGEST_KEYS))
    if extra:
        raise ConfigError(f"{path}: [ingest] has unknown key(s) {', '.join(extra)}; it knows "
                          f"{', '.join(INGEST_KEYS)}. Correct the spelling; nothing was done.")
    value = section.get("keep_notes", False)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: [ingest] keep_notes must be true or false (without quotes), not {value!r}.")
    return value


def _check_processor_binding(entry: Mapping[str, object], roles: Sequence[str], where: str, name: str,
                             processors: dict[str, str], processor_ids: dict[str, int]) -> None:
    """A processor user (issue 15) is bound to exactly one processor and holds no other role: the call centre's
    staff must never get a role of the controller's by a second entry in the list; and only a processor user may be
    bound, so a binding never narrows (or appears to narrow) a controller's user by mistake."""
    bound = entry.get("processor")
    if PROCESSOR_ROLE not in roles:
        if bound is not None or "processor_id" in entry:
            raise ConfigError(f'{where} names a processor but has no "{PROCESSOR_ROLE}" role; only the '
                              "processor's own staff are bound to a processor. Remove processor = ..., or make the "
                              f'user roles = ["{PROCESSOR_ROLE}"].')
        return
    if len(roles) != 1:
        raise ConfigError(f'{where}: the "{PROCESSOR_ROLE}" role cannot be combined with other roles '
                          f"({', '.join(r for r in roles if r != PROCESSOR_ROLE)}): the processor's staff never hold "
                          "a role of the controller's. Give them roles = [\"processor\"] only.")
    if not isinstance(bound, str) or not bound.strip():
        raise ConfigError(f'{where} has the "{PROCESSOR_ROLE}" role but no processor: write processor = "NAME" '
                          f"(as the processor register names it), or use oversight user add {name} --role "
                          f"{PROCESSOR_ROLE} --processor NAME.")
    processors[name] = bound.strip()
    if "processor_id" in entry:
        pid = entry["processor_id"]
        if not isinstance(pid, int) or isinstance(pid, bool) or pid < 1:
            raise ConfigError(f"{where} processor_id must be the register's whole number id (written by oversight "
                              "user add --processor); remove it to bind by name.")
        processor_ids[name] = pid


def _controller_country(value: str | None, path: Path) -> str | None:
    """The ``[controller] country`` as an ISO code the holidays package knows (None when not configured)."""
    if value is None:
        return None
    import holidays  # here: reading the configuration must not load every country's calendar

    code = value.strip().upper()
    if code not in holidays.list_supported_countries():
        raise ConfigError(f'{path}: [controller] country "{value}" is not a country the holidays package knows. '
                          'Use the ISO 3166 code of the controller\'s Member State, e.g. country = "NL".')
    return code


def add_user(con: duckdb.DuckDBPyConnection, path: Path, name: str, roles: Sequence[str], *, acting: User,
             password_hash: str | None = None, email: str | None = None,
             processor: str | None = None) -> SavedUser:
    """Add or update ``[users.NAME]`` in the configuration file, keeping everything else, and audit the change.

    The file is read with tomllib and only the user's own table is rewritten (comments inside that table are not
    kept); the new text is parsed again and must give exactly the old content plus the change before it replaces
    the file (atomically, keeping its permissions; a new file is made readable by its owner only). The file and the
    audit event go together: if the event cannot be appended the file is not replaced, and if the file cannot be
    replaced the event is rolled back. A change that changes nothing writes nothing and appends no event.
    """
    role = require(acting, PERMISSION)
    if not USER_NAME.fullmatch(name):
        raise ConfigError(f"'{name}' cannot be a user name: use 1 to 64 letters, digits and . _ - @ +.")
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ALL_ROLES]
    if not roles or unknown:
        raise ConfigError(f"Give one or more roles with --role: {', '.join(ALL_ROLES)}.")
    binding = _register_entry(con, processor) if processor is not None else None
    if email is not None and not EMAIL.fullmatch(email):
        raise ConfigError(f"'{email}' is not an e-mail address; give it as --email vera@example.org.")
    target = path.resolve()
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}. Correct it first.") from None
    users = data.get("users", {})
    old = users.get(name) if isinstance(users, dict) else None
    if not isinstance(users, dict) or (old is not None and not isinstance(old, dict)):
        raise ConfigError(f"{path}: users must be tables [users.NAME]; correct the file first.")
    entry = {**(old or {}), "roles": roles}
    if binding is not None:  # the register's name and id: a rename in the register keeps the binding
        entry["processor"], entry["processor_id"] = binding
    elif PROCESSOR_ROLE not in roles:
        entry.pop("processor", None)
        entry.pop("processor_id", None)
    if email is not None:
        entry["email"] = email
    if password_hash is not None:
        entry["password_hash"] = password_hash
    expected = {**data, "users": {**users, name: entry}}
    after = parse_config(expected, path)  # refuse what load_config would refuse
    if not any("compliance_officer" in r for r in after.users.values()):
        raise ConfigError(f"After this change {path} would have users but no compliance officer, so nobody could "
                          "add users or ingest reports. Add a compliance officer first: "
                          "oversight user add NAME --role compliance_officer.")
    new_text = _with_user_table(text, name, entry)
    try:
        unchanged_otherwise = tomllib.loads(new_text) == expected
    except tomllib.TOMLDecodeError:
        unchanged_otherwise = False
    if not unchanged_otherwise:
        raise ConfigError(f"{path}: [users.{name}] is written in a form this command cannot update safely "
                          "(dotted keys or an inline table); nothing was written. Edit the file by hand.")
    if new_text == text:
        return SavedUser(name, False, None)
    # Roles and how the user signs in, never the password or its hash.
    details = {"file": str(target), "roles": roles, "roles_before": None if old is None else old.get("roles"),
               "email": entry.get("email"),
               "password": "set" if password_hash is not None else "kept" if "password_hash" in entry else "none",
               "processor": entry.get("processor")}
    target.parent.mkdir(parents=True, exist_ok=True)
    # The event and the file go together: no file if the event fails, no event if the swap fails.
    with transaction(con), replace_atomically(target, new_text.encode("utf-8"), new_file_mode=NEW_FILE_MODE):
        seq = audit.append_event(con, user=acting.name, role=role,
                                 action="user.added" if old is None else "user.changed", obj=f"user:{name}",
                                 details=details)
    return SavedUser(name, old is None, seq)


def _register_entry(con: duckdb.DuckDBPyConnection, processor: str) -> tuple[str, int]:
    """The register's (name, id) of the processor a user is bound to, compared as ingest compares names; refused
    with the register's names when there is none (a processor user with nothing behind it could see nothing)."""
    import unicodedata

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()

    found = con.execute("SELECT name, processor_id FROM processors ORDER BY name").fetchall()
    for register_name, pid in found:
        if norm(str(register_name)) == norm(processor):
            return str(register_name), int(pid)
    known = ", ".join(str(n) for n, _ in found) or "none yet"
    raise ConfigError(f"'{processor}' is not in the processor register (registered: {known}). Register the "
                      "processor first (oversight processors add, or the Processors page), then bind the user to it.")


def _toml_str(value: str) -> str:
    """A TOML basic string (TOML 1.0: escape quote, backslash and control characters)."""
    escaped = "".join(
        "\\" + ch if ch in '"\\' else f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch
        for ch in value
    )
    return f'"{escaped}"'


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_str(key)


def _render_user(name: str, entry: Mapping[str, object]) -> str:
    roles = entry["roles"]
    assert isinstance(roles, list)
    lines = [f"[users.{_toml_key(name)}]", f"roles = [{', '.join(_toml_str(r) for r in roles)}]"]
    lines += [f"{key} = {entry[key]}" if key == "processor_id" else f"{key} = {_toml_str(str(entry[key]))}"
              for key in USER_KEYS[1:] if key in entry]
    return "\n".join(lines) + "\n"


def _header_path(line: str) -> tuple[str, ...] | None:
    """The key path of a table header line (``[users."a b"]`` → ("users", "a b")), or None for other lines."""
    stripped = line.strip()
    if not stripped.startswith("["):
        return None
    try:
        node: object = tomllib.loads(stripped)
    except tomllib.TOMLDecodeError:
        return None
    path: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        path.append(key)
    return tuple(path)


def _with_user_table(text: str, name: str, entry: Mapping[str, object]) -> str:
    """Return the text with the user's table replaced, or appended when the user is new."""
    lines = text.splitlines(keepends=True)
    headers = [(i, path) for i, line in enumerate(lines) if (path := _header_path(line)) is not None]
    block = _render_user(name, entry)
    start = next((i for i, path in headers if path == ("users", name)), None)
    if start is None:
        prefix = text if not text or text.endswith("\n") else text + "\n"
        return prefix + ("\n" if prefix.strip() else "") + block
    end = next((i for i, _ in headers if i > start), len(lines))
    # Blank lines and comments at the end of the table introduce what follows it: keep them.
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return "".join(lines[:start]) + block + "".join(lines[end:])

