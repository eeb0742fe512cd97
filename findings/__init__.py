"""Findings: exceptions and spot-check deviations logged against contract clauses, followed up to closure."""
