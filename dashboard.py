"""Streamlit entry: page registration only. Each page is a module in app/ (run with `streamlit run dashboard.py`)."""

import streamlit as st

st.set_page_config(page_title="Processor oversight", page_icon=":material/policy:", layout="wide")

st.navigation([
    st.Page("app/reports.py", title="Reports", icon=":material/upload_file:", default=True),
    st.Page("app/audit.py", title="Audit trail", icon=":material/history:"),
]).run()
