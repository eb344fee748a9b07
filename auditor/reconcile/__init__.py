"""Reconcile the shop's orders with Connectif's purchases: which never arrived, and why."""

from __future__ import annotations

from auditor.reconcile.analysis import Options, reconcile
from auditor.reconcile.model import Reconciliation

__all__ = ["Options", "Reconciliation", "reconcile"]
