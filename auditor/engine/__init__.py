"""The engine: finds and drives the browser through a scenario and records what happened as plain data.

Playwright objects never leave this package; verdicts are computed afterwards by `auditor.checks`.
"""
