"""Documents for people outside the tool: the monthly oversight pack, the findings letter, the audit trail."""
