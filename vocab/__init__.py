"""The shared vocabularies, declared once: check and finding severities, finding states, the review rubric and the
contract parameters. Every layer (ingest, checks, spotchecks, findings, exports, metrics, app, commands) may import
this package; it imports nothing of the project, so it can never sit above one of them.
"""
