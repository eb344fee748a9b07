"""The files here are bad scenarios read by test_messages.py, not scenarios for the pytest plugin."""

collect_ignore_glob = ["*.yaml"]
