"""Streamlit entry: page registration only. Each page is a module in app/ (run with `streamlit run dashboard.py`)."""

from importlib import resources

import streamlit as st

from app import state

PRODUCT = "Processor oversight"
# A file of the package, not a Material icon: Streamlit fetches those from a font CDN that an offline deployment
# cannot reach, and the tab would show no icon at all.
FAVICON = str(resources.files("app").joinpath("static", "favicon.png"))

# Before anything can stop the run (a configuration error stops it in state.session()), so that even that page
# carries the product's name and icon.
st.set_page_config(page_title=PRODUCT, page_icon=FAVICON, layout="wide")

# One line per page: (the page, the action of store.identity.PERMISSIONS a user must be allowed to see it, or
# None when every role reads it: docs/findings.md gives every role read access). Role filtering happens in one place,
# app.state.visible_pages, rebuilt on every rerun from the signed-in user's roles.
PAGES = [
    (st.Page("app/overview.py", title="Overview", icon=":material/dashboard:", default=True), None),
    (st.Page("app/reports.py", title="Reports", icon=":material/upload_file:"), None),
    (st.Page("app/checks.py", title="Checks", icon=":material/rule:"), None),
    (st.Page("app/spotchecks.py", title="Spot checks", icon=":material/fact_check:"), None),
    (st.Page("app/findings.py", title="Findings", icon=":material/flag:"), None),
    (st.Page("app/contract.py", title="Contract", icon=":material/gavel:"), None),
    (st.Page("app/processors.py", title="Processors", icon=":material/domain:"), None),
    (st.Page("app/audit.py", title="Audit trail", icon=":material/history:"), None),
    # Not in the menu: every case id on the other pages links here (issue 12 §6), and its address is shareable.
    (st.Page("app/case.py", title="Case", icon=":material/description:", url_path="case", visibility="hidden"), None),
    # The processor's own users see this page and nothing else (issue 15; app.state.visible_pages).
    (st.Page("app/portal.py", title="Portal", icon=":material/handshake:", url_path="portal"), state.PORTAL),
]

page = st.navigation(state.visible_pages(state.session(), PAGES))
# The product's name and icon in the browser tab on every page, the sign-in page included: "Findings · Processor
# oversight", so a reviewer with ten tabs open can tell them apart.
st.set_page_config(page_title=f"{page.title} · {PRODUCT}", page_icon=FAVICON, layout="wide")
state.run_page(page)  # an error shows an error id, never a traceback
