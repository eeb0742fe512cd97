"""Users and roles from the configuration file; permissions as data, enforced by service functions."""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from store.errors import ConfigError, PermissionDenied

ROLES = ("compliance_officer", "auditor", "vendor_manager", "viewer")

# Which roles may perform each state-changing action (findings.md, "Roles").
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "ingest a report": ("compliance_officer",),
    "save a mapping": ("compliance_officer",),
    "load the demo reports": ("compliance_officer",),
    "link a processor to a contract profile": ("compliance_officer",),
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
    inbox: Path | None = None


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
    users: dict[str, tuple[str, ...]] = {}
    hashes: dict[str, str] = {}
    for name, entry in (data.get("users") or {}).items():
        roles = entry.get("roles") if isinstance(entry, dict) else None
        if not isinstance(roles, list) or not roles:
            raise ConfigError(f"{resolved}: [users.{name}] needs roles = [...] with one or more of {', '.join(ROLES)}.")
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise ConfigError(f"{resolved}: [users.{name}] has unknown role(s) {', '.join(map(str, unknown))}; "
                              f"the roles are {', '.join(ROLES)}.")
        users[name] = tuple(roles)
        if isinstance(entry.get("password_hash"), str):
            hashes[name] = entry["password_hash"]
    inbox = (data.get("paths") or {}).get("inbox")
    return Config(path=resolved, users=users, password_hashes=hashes, inbox=Path(inbox) if inbox else None)


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
        raise ConfigError(f"User '{name}' is not in {config.path}. Known users: {', '.join(sorted(config.users))}.")
    return User(name=name, roles=config.users[name])


def require(user: User, action: str) -> str:
    """Return the role under which the user may perform the action, or raise PermissionDenied."""
    allowed = PERMISSIONS[action]
    for role in allowed:
        if role in user.roles:
            return role
    raise PermissionDenied(user.name, action, allowed)
