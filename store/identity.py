"""Who is acting and what they may do: roles, permissions as data (enforced by service functions), sign-in.

The users come from the configuration file, which store.users_file reads and writes; this module only decides who a
request is from (a name, an identity provider's claims, a password) and whether their roles allow an action.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from store.errors import ConfigError, OversightError, PermissionDenied
from store.limits import Limits
from store.passwords import AttemptLimit, dummy_verify, verify_password
from store.retention_periods import Retention

# The controller's own roles: the local user (no access control) has all of them.
ROLES = ("compliance_officer", "auditor", "vendor_manager", "viewer")
# Issue 15: a `processor` user is the call centre's own staff, bound to one processor of the register
# (`[users.NAME] processor = "..."`); it holds no other role and sees only its processor's data (store/scope.py).
PROCESSOR_ROLE = "processor"
# Issue 16: the scheduled loader (`oversight inbox ingest` from cron) runs as a user of this role: it may ingest
# reports and nothing else (the local user does not need it: it has compliance_officer).
LOADER_ROLE = "loader"
ALL_ROLES = (*ROLES, LOADER_ROLE, PROCESSOR_ROLE)

# Which roles may perform each state-changing action (docs/findings.md, "Roles").
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "ingest a report": ("compliance_officer", "loader"),
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
    # Findings (docs/findings.md, "Roles"): the vendor manager raises and updates them; the auditor only from reviews.
    "raise a finding": ("compliance_officer", "vendor_manager"),
    "raise a finding from reviews": ("compliance_officer", "auditor", "vendor_manager"),
    "move a finding": ("compliance_officer", "vendor_manager"),
    "assign a finding": ("compliance_officer", "vendor_manager"),
    "record a processor response": ("compliance_officer", "vendor_manager"),
    # Exports (docs/findings.md): the pack is read-only evidence for those who "read everything" and work with it; the
    # letter goes to the processor, which is the vendor manager's business ("export letters"). Viewers only read.
    "export the oversight pack": ("compliance_officer", "auditor", "vendor_manager"),
    "export a findings letter": ("compliance_officer", "vendor_manager"),
    "send a letter": ("compliance_officer", "vendor_manager"),
    # Issue 15: the processor at the table. It uploads its own reports (store/scope.py keeps it to its own
    # processor), answers evidence requests and responds to notified findings; our side asks and decides.
    "upload a report as the processor": ("processor",),
    "request evidence": ("compliance_officer", "auditor"),
    "add evidence": ("processor", "compliance_officer", "auditor"),
    "read evidence": ("processor", "compliance_officer", "auditor", "vendor_manager"),
    "respond to a finding as the processor": ("processor",),
    "decide on a processor response": ("compliance_officer", "vendor_manager"),
    # Issue 17: the tool's own storage limitation (GDPR Art. 5(1)(e)) and record of processing (Art. 30(1)).
    "apply retention": ("compliance_officer",),
    "manage legal holds": ("compliance_officer",),
    "write the record of processing": ("compliance_officer",),
    # Issue 17: a data subject's rights in the tool itself (GDPR Arts 15, 17) and the pseudonymisation key ring.
    "find a data subject": ("compliance_officer",),
    "erase a data subject": ("compliance_officer",),
    "manage keys": ("compliance_officer",),
    # Issue 16: the whole record leaves or enters the store (a move to PostgreSQL, or back).
    "move the store": ("compliance_officer",),
}


@dataclass(frozen=True)
class User:
    """Who is acting, with the roles the configuration gives them."""

    name: str
    roles: tuple[str, ...]
    access_control: bool = True
    # The processor (register name) a `processor` user is bound to; None for the controller's own users, who see
    # every processor. Set by store.scope.bind_processor from the register, never from what a page or option says.
    processor: str | None = None

    @property
    def is_processor(self) -> bool:
        return PROCESSOR_ROLE in self.roles


@dataclass(frozen=True)
class Config:
    """The parsed configuration file (store.users_file.load_config reads and validates it)."""

    path: Path | None
    users: dict[str, tuple[str, ...]] = field(default_factory=dict)
    password_hashes: dict[str, str] = field(default_factory=dict)
    # Lower-cased e-mail address → user name: the `email` key of a user, or the user's name when it is an address.
    emails: dict[str, str] = field(default_factory=dict)
    inbox: Path | None = None
    # `[access] mode = "local"`: everyone is the local user with all roles, chosen on purpose (store.access).
    local_mode: bool = False
    # `[server] address`: where the dashboard listens; None is localhost only (store.access.listen_address).
    server_address: str | None = None
    # `[paths] audit_key_file`: the audit chain's key (default: audit.key beside the pseudonymisation key).
    audit_key_file: Path | None = None
    # `[paths] key_file`: the pseudonymisation key (default: $OVERSIGHT_KEY_FILE, else oversight.key beside the
    # database file); a PostgreSQL store must name it here or in the environment (issue 16).
    key_file: Path | None = None
    # `[limits]`: how large a report file may be (store.limits).
    limits: Limits = field(default_factory=Limits)
    # `[controller] country`: the controller's Member State (ISO code), whose public holidays the statutory
    # (Art. 12) deadlines count (Reg. 1182/71; docs/deadlines.md). None: the contract profile's calendar.
    controller_country: str | None = None
    # Issue 15: user → the processor it is bound to, as the users file names it (`processor = "..."`), and the
    # register id `oversight user add --processor` recorded with it (a rename in the register keeps the binding).
    user_processors: dict[str, str] = field(default_factory=dict)
    user_processor_ids: dict[str, int] = field(default_factory=dict)
    # Issue 17: `[retention]`, how many months after its month each kind of data is kept (GDPR Art. 5(1)(e)).
    retention: Retention = field(default_factory=Retention)
    # Issue 17: `[ingest] keep_notes`, store free-text case notes (GDPR Art. 5(1)(c): not unless opted in).
    keep_notes: bool = False


class SignInFailed(OversightError):
    """A user name and password did not match (deliberately not saying which was wrong)."""

    def __init__(self) -> None:
        super().__init__("The user name or password is wrong, or there were too many attempts: try again in a "
                         "minute. If you forgot your password, ask a compliance officer to set a new one.")


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


def authenticate(config: Config, name: str, password: str, throttle: AttemptLimit | None = None) -> User:
    """Return the user whose password this is, or raise SignInFailed (the same refusal whatever was wrong).

    The attempt is counted before any hashing (atomically: concurrent attempts each take one), and every attempt
    hashes once: a refused name, an unknown name and a wrong password take the same work as a right one, so neither
    the answer nor its timing tells them apart.
    """
    name = name.strip()
    allowed = throttle is None or throttle.attempt(name)
    stored = config.password_hashes.get(name) if allowed else None
    if stored is None:
        dummy_verify(password)  # as slow as a real check: the answer's timing must not reveal known names
        matched = False
    else:
        matched = verify_password(password, stored)
    if not matched:
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
