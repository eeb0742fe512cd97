"""Sign-in in AppTest: the password form, the identity provider (simulated with at.user), and the page list per role."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element

from store.passwords import hash_password
from tests.conftest import AppEnv

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
FAST = {"n": 2**10, "r": 8, "p": 1}
# Streamlit's documented [auth] keys; AppTest never contacts the provider.
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "oversight", "client_secret": "secret",
        "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration"}
GENERIC_REFUSAL = "The user name or password is wrong"


@pytest.fixture
def config(app_env: AppEnv) -> Path:
    """The dashboard's configuration file (empty to begin with: no users), which the test writes; a fresh database."""
    return app_env.config


def users(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


PASSWORD_USERS = f"""
[users.olivia]
roles = ["compliance_officer"]
password_hash = "{hash_password(PASSWORD, **FAST)}"

[users.vera]
roles = ["viewer"]
password_hash = "{hash_password("vera's own long passphrase", **FAST)}"
"""

PROVIDER_USERS = """
[users.olivia]
roles = ["compliance_officer"]
email = "olivia.jansen@example.org"

[users."vera@example.org"]
roles = ["viewer"]
"""


def app(**user: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if user:
        at.secrets["auth"] = AUTH
        at.user = dict(user)
    return at


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def text(elements: Iterable[Element]) -> str:
    return "\n".join(str(e.value) for e in elements)


def pages(at: AppTest) -> set[str]:
    """The page files st.navigation registered in the last run (what the user can open)."""
    return {Path(str(info["script_path"])).name for info in at._registered_pages.values()}


def addresses(at: AppTest) -> dict[str, str]:
    """URL path → page file registered in the last run."""
    return {str(info["url_pathname"]): Path(str(info["script_path"])).name for info in at._registered_pages.values()}


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    at.button[0].click()
    return run(at)


def assert_nothing_but_the_sign_in_page(at: AppTest) -> None:
    assert pages(at) == {"signin.py"}
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.dataframe and not at.subheader and not at.metric
    assert "Working as" not in text(at.sidebar.caption) and "Access control is off" not in text(at.sidebar.warning)


# --- the users file's password hashes ------------------------------------------------------------------------------

def test_password_users_see_only_the_sign_in_form_first(config: Path) -> None:
    users(config, PASSWORD_USERS)
    at = run(app())
    assert_nothing_but_the_sign_in_page(at)
    assert [w.label for w in at.text_input] == ["User name", "Password"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/reports.py")


def test_a_shared_link_to_any_page_opens_the_sign_in_page_first(config: Path) -> None:
    users(config, PASSWORD_USERS)
    signed_out = addresses(run(app()))
    assert set(signed_out.values()) == {"signin.py"}
    signed_in = addresses(sign_in(run(app()), "olivia", PASSWORD))
    # /findings?processor=… still leads to Findings after signing in; /portal leads a processor user to its portal
    assert set(signed_out) == set(signed_in) | {"portal"}


@pytest.mark.parametrize(("name", "password"), [("olivia", "wrong horse battery staple"), ("nobody", PASSWORD),
                                                ("vera", PASSWORD)])
def test_wrong_password_gets_the_generic_refusal_and_nothing_else(config: Path, name: str, password: str) -> None:
    users(config, PASSWORD_USERS)
    at = sign_in(run(app()), name, password)
    assert GENERIC_REFUSAL in text(at.error)
    assert name not in text(at.error)
    assert_nothing_but_the_sign_in_page(at)
    assert "signed_in" not in at.session_state


def test_right_password_opens_the_dashboard_with_the_users_roles_and_sign_out_ends_it(config: Path) -> None:
    users(config, PASSWORD_USERS)
    at = sign_in(run(app()), "olivia", PASSWORD)
    assert "reports.py" in pages(at) and "signin.py" not in pages(at)
    assert "Working as **olivia** (compliance_officer)" in text(at.sidebar.caption)
    assert "Access control is off" not in text(at.sidebar.warning)
    assert "Overview" in [t.value for t in at.title]  # the landing page
    at.switch_page("app/reports.py").run()
    assert "Upload reports" in [s.value for s in at.subheader]  # an officer is offered the upload
    at = run(at)  # the sign-in is kept in the session across reruns
    assert "Working as **olivia**" in text(at.sidebar.caption)

    at.sidebar.button(key="sign_out").click()
    at = run(at)
    assert_nothing_but_the_sign_in_page(at)


def test_a_changed_password_or_removed_user_signs_the_session_out(config: Path) -> None:
    users(config, PASSWORD_USERS)
    at = sign_in(run(app()), "vera", "vera's own long passphrase")
    assert "Working as **vera** (viewer)" in text(at.sidebar.caption)
    users(config, PASSWORD_USERS.replace('[users.vera]\nroles = ["viewer"]\npassword_hash', "[users.vera]\nroles = "
                                         '["viewer"]\n#password_hash'))
    at = run(at)
    assert_nothing_but_the_sign_in_page(at)


def test_users_without_a_sign_in_method_are_told_how_to_give_them_one(config: Path) -> None:
    users(config, '[users.vera]\nroles = ["viewer"]\n')
    at = run(app())
    assert "none of them can sign in" in text(at.error)
    assert "oversight user add NAME --role ROLE" in text(at.error)
    assert not at.dataframe and not at.subheader


# --- the identity provider (st.login / st.user) --------------------------------------------------------------------

def test_provider_configured_shows_a_sign_in_button_before_anything_else(config: Path) -> None:
    users(config, PROVIDER_USERS)
    at = run(app(is_logged_in=False))
    assert_nothing_but_the_sign_in_page(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.text_input  # no password form when an identity provider is configured


def test_provider_user_gets_the_roles_of_the_matching_email(config: Path) -> None:
    users(config, PROVIDER_USERS)
    at = run(app(is_logged_in=True, email="Olivia.Jansen@example.org", name="Olivia Jansen", sub="u-1"))
    assert "reports.py" in pages(at) and "signin.py" not in pages(at)
    assert ("Signed in as **Olivia Jansen** (Olivia.Jansen@example.org) · user olivia: compliance_officer"
            in text(at.sidebar.caption))
    assert "Overview" in [t.value for t in at.title]  # the landing page
    at.switch_page("app/reports.py").run()
    assert "Upload reports" in [s.value for s in at.subheader]  # an officer is offered the upload
    assert [b.label for b in at.sidebar.button] == ["Sign out"]


def test_provider_user_not_in_the_configuration_gets_no_role(config: Path) -> None:
    users(config, PROVIDER_USERS)
    at = run(app(is_logged_in=True, email="mallory@example.org", name="olivia", preferred_username="olivia"))
    assert pages(at) == {"signin.py"}
    message = text(at.error)
    assert "signed in as **mallory@example.org**" in message and "no role" in message
    assert "Ask the compliance officer to add you" in message
    assert not at.dataframe and not at.subheader and "Working as" not in text(at.sidebar.caption)


def test_provider_sign_in_without_any_configured_user_is_not_all_roles(config: Path) -> None:
    at = run(app(is_logged_in=True, email="olivia.jansen@example.org"))
    assert pages(at) == {"signin.py"}
    assert "no role" in text(at.error)
    assert "Access control is off" not in text(at.sidebar.warning)


def test_provider_sign_out_returns_to_the_sign_in_button(config: Path) -> None:
    users(config, PROVIDER_USERS)
    at = run(app(is_logged_in=True, email="vera@example.org", name="Vera Peeters"))
    assert "user vera@example.org: viewer" in text(at.sidebar.caption)
    at.sidebar.button(key="sign_out").click()
    at = run(at)
    assert at.user == {"is_logged_in": False}
    at = run(at)  # in a browser, the logout redirect starts a new session
    assert_nothing_but_the_sign_in_page(at)


# --- the page list per role ----------------------------------------------------------------------------------------

GATED = """
import streamlit as st
from app import state

PAGES = [
    (st.Page("everyone.py", title="Everyone"), None),
    (st.Page("upload.py", title="Upload"), "ingest a report"),
    (st.Page("sample.py", title="Sample"), "draw a sample"),
    st.Page("bare.py", title="Bare"),
]
st.navigation(state.visible_pages(state.session(), PAGES)).run()
"""


@pytest.mark.parametrize(("email", "visible"), [
    ("olivia.jansen@example.org", {"everyone.py", "upload.py", "sample.py", "bare.py"}),
    ("ann@example.org", {"everyone.py", "sample.py", "bare.py"}),
    ("vera@example.org", {"everyone.py", "bare.py"}),
    ("mallory@example.org", {"signin.py"}),
])
def test_each_role_sees_the_pages_its_permissions_allow(config: Path, tmp_path: Path, email: str,
                                                        visible: set[str]) -> None:
    users(config, PROVIDER_USERS + '[users.ann]\nroles = ["auditor"]\nemail = "ann@example.org"\n')
    site = tmp_path / "site"
    (site / "app").mkdir(parents=True)
    (site / "main.py").write_text(GATED, encoding="utf-8")
    (site / "app" / "signin.py").write_text("import streamlit as st\nst.title('Sign in')\n", encoding="utf-8")
    for name in ("everyone", "upload", "sample", "bare"):
        (site / f"{name}.py").write_text(f"import streamlit as st\nst.write('{name}')\n", encoding="utf-8")
    at = AppTest.from_file(str(site / "main.py"), default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email}
    assert pages(run(at)) == visible
