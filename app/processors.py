"""The Processors page: the processor register (issue 12 §5): who each processor is and which contract applies.

Everyone reads it; the compliance officer adds and edits processors. The due day, calendars and service levels are
the contract profile's (Contract page); a profile change here moves open findings to the new profile's clauses the
next time findings are raised.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import state
from app.text import literal
from checks.profiles import list_profiles
from registry.processors import Processor, list_processors, register_processor, update_processor

PAGE = "processors"


def register_table(processors: list[Processor]) -> pd.DataFrame:
    """The register as a table, one row per processor."""
    return pd.DataFrame([{"processor": p.name, "contract profile": p.profile, "country": p.country,
                          "language": p.language, "contacts": "; ".join(p.contacts),
                          "registered": p.created_at, "by": p.registered_by or "its first report"}
                         for p in processors],
                        columns=["processor", "contract profile", "country", "language", "contacts", "registered",
                                 "by"])


def _contacts(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _add_form(ctx: state.Context) -> None:
    with st.form("processor_add", clear_on_submit=True):
        st.markdown("**Add a processor**")
        name = st.text_input("Name, as the contract names it", key="processor_add_name")
        left, middle, right = st.columns(3)
        profile = left.selectbox("Contract profile", list_profiles(), index=None, key="processor_add_profile",
                                 placeholder="Which contract applies?")
        country = middle.text_input("Country (ISO code)", key="processor_add_country", placeholder="BE")
        language = right.text_input("Language of its reports", key="processor_add_language", placeholder="NL")
        contacts = st.text_area("Contacts, one per line", key="processor_add_contacts",
                                placeholder="Privacy contact: Jan Peeters <privacy@example.be>")
        if st.form_submit_button("Add processor", type="primary"):
            if not profile:
                st.error("Choose the contract profile that applies to this processor.")
                return
            with state.user_errors(), ctx.cursor() as cur:
                added = register_processor(cur, ctx.user, name, profile=profile, country=country,
                                           language=language, contacts=_contacts(contacts))
                state.done(PAGE, f"{added.name} added to the register with contract profile {added.profile}.")


def _edit_form(ctx: state.Context, processors: list[Processor]) -> None:
    names = [p.name for p in processors]
    chosen = st.selectbox("Processor to edit", names, key="processor_edit_pick")
    current = next(p for p in processors if p.name == chosen)
    profiles = list_profiles()
    with st.form(f"processor_edit:{chosen}"):
        left, middle, right = st.columns(3)
        profile = left.selectbox("Contract profile", profiles, key=f"processor_edit_profile:{chosen}",
                                 index=profiles.index(current.profile) if current.profile in profiles else None)
        country = middle.text_input("Country (ISO code)", value=current.country or "",
                                    key=f"processor_edit_country:{chosen}")
        language = right.text_input("Language of its reports", value=current.language or "",
                                    key=f"processor_edit_language:{chosen}")
        contacts = st.text_area("Contacts, one per line", value="\n".join(current.contacts),
                                key=f"processor_edit_contacts:{chosen}")
        if profile and profile != current.profile:
            st.caption(f"Changing the profile from {current.profile} to {profile}: run the checks and raise findings "
                       "again, and open findings move to the clauses the new profile maps.")
        if st.form_submit_button("Save changes"):
            with state.user_errors(), ctx.cursor() as cur:
                update_processor(cur, ctx.user, chosen, profile=profile, country=country, language=language,
                                 contacts=_contacts(contacts))
                state.done(PAGE, f"{literal(chosen)} saved.")


def render() -> None:
    """Draw the page."""
    st.title("Processors")
    st.caption("The processor register: who each processor is and which contract profile applies to it. The due "
               "day, holidays and service levels are the profile's (Contract page).")
    ctx = state.context()
    state.said(PAGE)
    with ctx.cursor() as cur:
        processors = list_processors(cur)
    if processors:
        st.dataframe(register_table(processors), hide_index=True, width="stretch", key="processor_register",
                     column_config={"registered": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    else:
        st.info("No processor yet — add one below, or upload its first report on the Reports page (you are asked "
                "which contract profile applies).", icon=":material/domain_add:")
    if not state.allowed(ctx, "link a processor to a contract profile"):
        st.caption(f"Adding and editing processors needs the compliance officer role; {literal(ctx.user.name)} can "
                   "read the register.")
        return
    if processors:
        _edit_form(ctx, processors)
    _add_form(ctx)


if __name__ == "__main__":
    render()
