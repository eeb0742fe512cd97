"""The Sign in page: the only page until someone with a role has signed in (identity provider or password)."""

from __future__ import annotations

import streamlit as st

from app import state
from store.identity import SignInFailed, authenticate
from store.throttle import StoreThrottle


def _provider(current: state.Session) -> None:
    if current.unknown_identity is None:
        st.write("Sign in with your organisation account to see the oversight dashboard.")
        if st.button("Sign in", type="primary", icon=":material/login:"):
            st.login()
        return
    where = current.config.path or "oversight.toml"
    st.error(f"You are signed in as **{current.unknown_identity}**, but that account has no role in this "
             f"dashboard. Ask the compliance officer to add you to {where}, e.g. with "
             f"`oversight user add NAME --email {current.unknown_identity} --role viewer --no-password`.",
             icon=":material/block:")
    if st.button("Sign out", icon=":material/logout:"):
        state.sign_out(current.mode)


def _password(current: state.Session) -> None:
    if why := st.session_state.pop(state.SIGNED_OUT_KEY, None):
        st.info(why, icon=":material/timer_off:")
    with st.form("sign_in", clear_on_submit=True):  # a mistyped password is not kept in the session
        name = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
    if not submitted:
        return
    try:
        with st.spinner("Checking…"):
            # Counted in the database: every session and every process serving it shares the limit.
            user = authenticate(current.config, name, password, StoreThrottle(state.connection()))
    except SignInFailed as exc:
        st.error(str(exc))
        return
    state.sign_in(current.config, user)
    st.rerun()


current = state.session()
st.title("Sign in")
if current.mode is state.Mode.PROVIDER:
    _provider(current)
else:
    _password(current)
