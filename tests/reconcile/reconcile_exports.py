"""Helpers that write small shop and Connectif exports for the reconcile tests.

A uniquely named module (not conftest) so test files can import it: tests/ has no packages.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
) -> Path:
    """Write a CSV export the way a shop or spreadsheet would (bom: a byte-order mark first)."""
    buffer = io.StringIO("\ufeff" if bom else "")
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@dataclass(frozen=True)
class Order:
    """One order in a generated export, and whether Connectif recorded it."""

    id: str
    payment: str = "card"
    status: str = "completed"
    device: str = "desktop"
    created: str = "2024-03-01 10:00:00"
    recorded: bool = True
    purchase_id: str | None = None  # how Connectif wrote the id, when it differs


@dataclass(frozen=True)
class Exports:
    """A pair of files to reconcile."""

    orders: Path
    purchases: Path


ORDER_HEADER = ("order_id", "created_at", "payment_method", "status", "device", "total")


def write_exports(folder: Path, orders: Sequence[Order], extra_purchases: Sequence[str] = ()) -> Exports:
    """orders.csv with every order; purchases.csv with the recorded ones and any extras."""
    folder.mkdir(parents=True, exist_ok=True)
    order_rows = [(o.id, o.created, o.payment, o.status, o.device, "10.50") for o in orders]
    purchase_rows = [(o.purchase_id or o.id, o.created, "10.50") for o in orders if o.recorded] + [
        (p, "2024-03-01", "1.00") for p in extra_purchases
    ]
    return Exports(
        orders=write_csv(folder / "orders.csv", ORDER_HEADER, order_rows),
        purchases=write_csv(folder / "purchases.csv", ("purchase_id", "date", "total_price"), purchase_rows),
    )


def mix(
    lost_by_method: dict[str, tuple[int, int]], *, seed: int = 3, start: int = 1000, **fields: str
) -> list[Order]:
    """Orders per payment method: (orders, lost), the lost ones spread at random."""
    rng = random.Random(seed)
    orders: list[Order] = []
    number = start
    for method, (total, lost) in lost_by_method.items():
        lost_at = set(rng.sample(range(total), lost))
        for i in range(total):
            orders.append(Order(id=str(number), payment=method, recorded=i not in lost_at, **fields))
            number += 1
    rng.shuffle(orders)
    return orders
