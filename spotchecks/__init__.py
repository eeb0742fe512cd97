"""Spot checks (docs/sampling.md): plan → draw → review → evaluate, each stage a function whose result the next takes.

- bounds.py: upper deviation limits (one-sided Clopper-Pearson; exact hypergeometric).
- plan.py: how many cases (attribute sampling, AICPA Appendix A).
- draw.py: which cases: seeds, SHA-256 ranks, population fingerprint, stratum allocation (pure).
- population.py: the frozen population and key items in DuckDB, and the ranked selection in SQL.
- samples.py: draw, enlarge and replace stored samples; verify.py: recompute one; commitments.py: seed commitments.
- review.py: the rubric as data and the reviews; evaluate.py: what the sample says; queries.py: read side.
- errors.py: the named refusals.
"""
