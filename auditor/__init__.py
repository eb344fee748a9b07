"""checkout-auditor: audit that checkouts come back from the payment platform and reach Connectif."""

__version__ = "0.1.0"
