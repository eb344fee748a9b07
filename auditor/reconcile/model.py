"""The reconciliation result: plain frozen data every output is drawn from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import computed_field

from auditor.reconcile.api import ApiLookups
from auditor.reconcile.normalise import NearMisses, Normalisation

# The text encodings an export is read in, as the outputs name them ("—": no file, Connectif's API).
EncodingLabel = Literal["UTF-8", "UTF-8 with BOM", "UTF-16 LE", "UTF-16 BE", "Windows-1252", "—"]


@dataclass(frozen=True, kw_only=True)
class FileSummary:
    """What was read from one export and how."""

    path: str
    encoding: EncodingLabel
    delimiter: str
    columns: tuple[str, ...]
    id_column: str
    header_line: int
    rows: int
    blank_ids: int
    bad_rows: int
    bad_lines: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class IdPair:
    """An order and a purchase that matched only once their ids were normalised."""

    order_id: str
    purchase_id: str
    key: str


@dataclass(frozen=True, kw_only=True)
class Duplicate:
    """An id that appears more than once in one export."""

    id: str
    count: int


@dataclass(frozen=True, kw_only=True)
class Duplicates:
    """Repeated ids on one side: extra rows, distinct ids repeated, the worst examples."""

    extra_rows: int
    ids: int
    examples: tuple[Duplicate, ...]


@dataclass(frozen=True, kw_only=True)
class StatusCount:
    """Orders with one status that never reaches a confirmation page."""

    status: str
    kind: str
    orders: int
    missing: int


@dataclass(frozen=True, kw_only=True)
class Group:
    """One value of a breakdown column: its orders, losses and how unusual its rate is."""

    value: str
    orders: int
    lost: int
    rate: float
    # Two-proportion z-score of this group against all the other orders; > 3 is rarely chance.
    z: float
    small: bool


class ColumnRole(StrEnum):
    """What a breakdown column is about, which decides the explanation it can support."""

    PAYMENT = "payment"
    STATUS = "status"
    DAY = "day"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class Breakdown:
    """The loss rate per value of one order column, highest first."""

    column: str
    role: ColumnRole
    groups: tuple[Group, ...]


@dataclass(frozen=True, kw_only=True)
class LostOrder:
    """An order the shop has and Connectif does not."""

    line: int
    id: str
    values: tuple[str, ...]


class ExplanationKind(StrEnum):
    """The patterns the reconciliation recognises."""

    ALL_RECORDED = "all-recorded"
    PAYMENT_PLATFORM = "payment-platform"
    TAG_OR_SCRIPT = "tag-or-script"
    FEW_LOSSES = "few-losses"
    NO_PAYMENT_COLUMN = "no-payment-column"
    CONCENTRATED = "concentrated"
    DAYS = "days"
    NOT_A_SALE = "not-a-sale"
    ID_FORMAT = "id-format"
    NEAR_MISS = "near-miss"
    DUPLICATE_PURCHASES = "duplicate-purchases"
    DUPLICATE_ORDERS = "duplicate-orders"
    UNKNOWN_PURCHASES = "unknown-purchases"
    API_SYNC = "api-sync"


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """A likely cause read from the numbers, with the evidence and what to do."""

    kind: ExplanationKind
    title: str
    evidence: str
    actions: tuple[str, ...]
    # Orders this explanation accounts for; the summary shows the largest first.
    orders: int


@dataclass(frozen=True, kw_only=True)
class Reconciliation:
    """Everything the reconciliation found; outputs only format this."""

    orders_file: FileSummary
    purchases_file: FileSummary
    normalisation: Normalisation
    status_column: str | None
    orders: int
    sales: int
    matched: int
    lost: int
    not_a_sale: tuple[StatusCount, ...]
    matched_after_normalising: int
    normalised_examples: tuple[IdPair, ...]
    unknown_purchases: int
    unknown_examples: tuple[str, ...]
    duplicate_orders: Duplicates
    duplicate_purchases: Duplicates
    breakdowns: tuple[Breakdown, ...]
    lost_examples: tuple[LostOrder, ...]
    near_misses: NearMisses
    explanations: tuple[Explanation, ...] = ()
    connectif_api: ApiLookups | None = None  # how the orders were looked up in Connectif's API, if they were

    # A computed field: reconcile.json (written through pydantic) carries it beside the counts.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def loss_rate(self) -> float:
        """Lost orders over orders that should have reached Connectif (0 when there are none)."""
        return self.lost / self.sales if self.sales else 0.0

    def above(self, max_loss: float) -> bool:
        """Whether the loss rate is above a threshold given as a fraction."""
        # Compare counts, not floats: 5 lost of 100 is not above 5 %.
        return self.lost > max_loss * self.sales + 1e-9
