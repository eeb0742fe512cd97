"""Storage: the DuckDB connection, schema migrations, the audit trail, users and roles."""
