"""Ingest: monthly report files → canonical cases in DuckDB (readers → mapping → validate → load)."""
