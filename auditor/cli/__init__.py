"""The command line: one module per command group; the only place that prints or exits.

`auditor.cli.main` holds the click group (`cli`) and `main`; `auditor.cli.start` is the console entry
point. Nothing is imported here, so that the entry point can pause the cycle collector first.
"""
