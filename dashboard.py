"""Streamlit entry: page registration only. Each page is a module in app/ (run with `streamlit run dashboard.py`)."""

import streamlit as st

from app import state

st.set_page_config(page_title="Processor oversight", page_icon=":material/policy:", layout="wide")

# One line per page: (the page, the action of store.identity.PERMISSIONS a user must be allowed to see it, or
# None when every role reads it: findings.md gives every role read access). Role filtering happens in one place,
# app.state.visible_pages, rebuilt on every rerun from the signed-in user's roles.
PAGES = [
    (st.Page("app/overview.py", title="Overview", icon=":material/dashboard:", default=True), None),
    (st.Page("app/reports.py", title="Reports", icon=":material/upload_file:"), None),
    (st.Page("app/checks.py", title="Checks", icon=":material/rule:"), None),
    (st.Page("app/spotchecks.py", title="Spot checks", icon=":material/fact_check:"), None),
    (st.Page("app/findings.py", title="Findings", icon=":material/flag:"), None),
    (st.Page("app/contract.py", title="Contract", icon=":material/gavel:"), None),
    (st.Page("app/audit.py", title="Audit trail", icon=":material/history:"), None),
]

st.navigation(state.visible_pages(state.session(), PAGES)).run()
