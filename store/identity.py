"""Users and roles from the configuration file; permissions as data, enforced by service functions.

A user is a table ``[users.NAME]`` with ``roles = [...]`` and optionally ``email = "..."`` (how the organisation's
identity provider names them) and ``password_hash = "scrypt$..."`` (for the dashboard's own sign-in form).
"""

from __future__ import annotations

import getpass
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from store.errors import ConfigError, OversightError, PermissionDenied
from store.passwords import InvalidPasswordHash, Throttle, dummy_verify, parse_hash, verify_password

ROLES = ("compliance_officer", "auditor", "vendor_manager", "viewer")

# Which roles may perform each state-changing action (findings.md, "Roles").
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "ingest a report": ("compliance_officer",),
    "save a mapping": ("compliance_officer",),
    "load the demo reports": ("compliance_officer",),
    "manage users": ("compliance_officer",),
    "link a processor to a contract profile": ("compliance_officer",),
    "edit a contract profile": ("compliance_officer",),
    "run the checks": ("compliance_officer", "auditor"),
    "commit a seed": ("compliance_officer", "auditor"),
    "draw a sample": ("compliance_officer", "auditor"),
    "replace a sampled case": ("compliance_officer", "auditor"),
    "record a review": ("compliance_officer", "auditor"),
    "evaluate a sample": ("compliance_officer", "auditor"),
    # Findings (findings.md, "Roles"): the vendor manager raises and updates them; the auditor only from reviews.
    "raise a finding": ("compliance_officer", "vendor_manager"),
    "raise a finding from reviews": ("compliance_officer", "auditor", "vendor_manager"),
    "move a finding": ("compliance_officer", "vendor_manager"),
    "assign a finding": ("compliance_officer", "vendor_manager"),
    "record a processor response": ("compliance_officer", "vendor_manager"),
    # Exports (findings.md): the pack is read-only evidence for those who "read everything" and work with it; the
    # letter goes to the processor, which is the vendor manager's business ("export letters"). Viewers only read.
    "export the oversight pack": ("compliance_officer", "auditor", "vendor_manager"),
    "export a findings letter": ("compliance_officer", "vendor_manager"),
}

DEFAULT_CONFIG = Path("oversight.toml")


@dataclass(frozen=True)
class User:
    """Who is acting, with the roles the configuration gives them."""

    name: str
    roles: tuple[str, ...]
    access_control: bool = True


@dataclass(frozen=True)
class Config:
    """The parsed configuration file."""

    path: Path | None
    users: dict[str, tuple[str, ...]] = field(default_factory=dict)
    password_hashes: dict[str, str] = field(default_factory=dict)
    # Lower-cased e-mail address → user name: the `email` key of a user, or the user's name when it is an address.
    emails: dict[str, str] = field(default_factory=dict)
    inbox: Path | None = None


USER_KEYS = ("roles", "email", "password_hash")
USER_NAME = re.compile(r"[\w.@+-]{1,64}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


class SignInFailed(OversightError):
    """A user name and password did not match (deliberately not saying which was wrong)."""

    def __init__(self) -> None:
        super().__init__("The user name or password is wrong, or there were too many attempts: try again in a "
                         "minute. If you forgot your password, ask a compliance officer to set a new one.")


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
        raise ConfigError(f"The configuration file {resolved} does not exist. Check --config or OVERSIGHT_CONFIG.") \
            from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The configuration file {resolved} is not valid TOML: {exc}.") from None
    return parse_config(data, resolved)


def parse_config(data: Mapping[str, object], path: Path) -> Config:
    """Validate the parsed TOML of a configuration file; refuse with file, user and reason."""
    users: dict[str, tuple[str, ...]] = {}
    hashes: dict[str, str] = {}
    emails: dict[str, str] = {}
    table = data.get("users") or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: users must be tables [users.NAME] with roles = [...].")
    for name, entry in table.items():
        where = f"{path}: [users.{name}]"
        roles = entry.get("roles") if isinstance(entry, dict) else None
        if not isinstance(roles, list) or not roles:
            raise ConfigError(f"{where} needs roles = [...] with one or more of {', '.join(ROLES)}.")
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise ConfigError(f"{where} has unknown role(s) {', '.join(map(str, unknown))}; "
                              f"the roles are {', '.join(ROLES)}.")
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
    return Config(path=path, users=users, password_hashes=hashes, emails=emails,
                  inbox=Path(inbox) if inbox else None)


def local_user_name() -> str:
    """The operating-system user, the name of the local user when access control is off."""
    try:
        return getpass.getuser()
    except OSError:
        return "local"


def resolve_user(config: Config, name: str | None = None) -> User:
    """Return who is acting: the named user from the configuration, or the local user with all roles."""
    name = name or os.environ.get("OVERSIGHT_USER")
    if not config.users:
        return User(name=name or local_user_name(), roles=ROLES, access_control=False)
    if not name:
        raise ConfigError(
            f"Users are configured in {config.path}: say who you are with --user NAME or OVERSIGHT_USER."
        )
    if name not in config.users:
        raise ConfigError(
            f"User '{name}' is not in {config.path}. Known users: {', '.join(sorted(config.users))}.\n\n"
            f"A compliance officer adds a user with: oversight user add {name} --role ROLE "
            f"(roles: {', '.join(ROLES)}), or by a [users.{name}] table in that file."
        )
    return User(name=name, roles=config.users[name])


def user_for_claims(config: Config, claims: Mapping[str, object]) -> User | None:
    """Return the configured user an identity provider's claims name, by e-mail address; None if nobody.

    Matched on the ``email`` claim only (case-insensitively): OpenID Connect Core §5.7 says ``preferred_username``
    and ``name`` are not unique and may change, so they never grant roles. A claim ``email_verified = false``
    matches nobody.
    """
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is False:
        return None
    name = config.emails.get(email.strip().casefold())
    return User(name=name, roles=config.users[name]) if name else None


def authenticate(config: Config, name: str, password: str, throttle: Throttle | None = None) -> User:
    """Return the user whose password this is, or raise SignInFailed (the same refusal whatever was wrong)."""
    name = name.strip()
    if throttle is not None and throttle.blocked(name):
        raise SignInFailed()
    stored = config.password_hashes.get(name)
    if stored is None:
        dummy_verify(password)  # as slow as a real check: the answer's timing must not reveal known names
        matched = False
    else:
        matched = verify_password(password, stored)
    if not matched:
        if throttle is not None:
            throttle.failed(name)
        raise SignInFailed()
    if throttle is not None:
        throttle.succeeded(name)
    return User(name=name, roles=config.users[name])


def may(user: User, action: str) -> bool:
    """Whether one of the user's roles may perform the action."""
    return any(role in user.roles for role in PERMISSIONS[action])


def require(user: User, action: str) -> str:
    """Return the role under which the user may perform the action, or raise PermissionDenied."""
    allowed = PERMISSIONS[action]
    for role in allowed:
        if role in user.roles:
            return role
    raise PermissionDenied(user.name, action, allowed)


def add_user(path: Path, name: str, roles: Sequence[str], *, acting: User, password_hash: str | None = None,
             email: str | None = None) -> bool:
    """Add or update ``[users.NAME]`` in the configuration file, keeping everything else; True if the user is new.

    The file is read with tomllib and only the user's own table is rewritten (comments inside that table are not
    kept); the new text is parsed again and must give exactly the old content plus the change before it replaces
    the file (atomically, keeping its permissions; a new file is made readable by its owner only).
    """
    require(acting, "manage users")
    if not USER_NAME.fullmatch(name):
        raise ConfigError(f"'{name}' cannot be a user name: use 1 to 64 letters, digits and . _ - @ +.")
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise ConfigError(f"Give one or more roles with --role: {', '.join(ROLES)}.")
    if email is not None and not EMAIL.fullmatch(email):
        raise ConfigError(f"'{email}' is not an e-mail address; give it as --email vera@example.org.")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}. Correct it first.") from None
    users = data.get("users", {})
    old = users.get(name) if isinstance(users, dict) else None
    if not isinstance(users, dict) or (old is not None and not isinstance(old, dict)):
        raise ConfigError(f"{path}: users must be tables [users.NAME]; correct the file first.")
    entry = {**(old or {}), "roles": roles}
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
    _replace_file(path, new_text)
    return old is None


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
    lines += [f"{key} = {_toml_str(str(entry[key]))}" for key in USER_KEYS[1:] if key in entry]
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


def _replace_file(path: Path, text: str) -> None:
    target = path.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o600
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
