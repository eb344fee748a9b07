"""The command line: one module per command group; the only place that prints or exits."""

from auditor.cli.main import cli, main

__all__ = ["cli", "main"]
