"""The lab: a demo shop, payment platforms and a Connectif stand-in, all on one loopback port."""

from __future__ import annotations

from auditor.lab.server import Lab, banner, chromium_flag, serve

__all__ = ["Lab", "banner", "chromium_flag", "serve"]
