"""Scenarios: the model, YAML loading with positions, substitution and the error messages."""
