"""Sub-commands of the `oversight` CLI, one module per concern; cli.py wires them together."""
