"""`checkout-auditor record`: write a scenario by doing the checkout once in a browser.

capture.js (in every frame) names what the person uses and reports it; session.py keeps those reports
and the browser's navigations as plain records (model.py); compose.py finds the pay step, its return,
the secrets and the expectations in them; writer.py writes the YAML; record.py runs it all.
"""
