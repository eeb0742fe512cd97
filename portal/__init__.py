"""The processor at the table (issue 15): what a processor user does on its own data, as service functions.

Every function here checks the permission and the processor scope itself (store.scope), so the portal pages and
the CLI obey the same rules. Never imports streamlit.
"""
