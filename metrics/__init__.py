"""Numbers for the dashboard's Overview: aggregated SQL over reports, check results and findings, and pure KPIs.

`overview` runs the queries (every frame is aggregated in DuckDB: processors × months, never raw cases);
`kpi` holds the formulas and month arithmetic as pure functions, tested on their own.
"""
