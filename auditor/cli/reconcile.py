"""`checkout-auditor reconcile`: the command, its options and its summary on the console."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table as RichTable
from rich.text import Text

from auditor.errors import AuditorError
from auditor.reconcile.analysis import Options
from auditor.reconcile.analysis import reconcile as run_reconcile
from auditor.reconcile.api import CACHE_NAME, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, ApiSource
from auditor.reconcile.explain import pct
from auditor.reconcile.model import Reconciliation
from auditor.reconcile.normalise import Normalisation
from auditor.reconcile.outputs import (
    CSV_NAME,
    HTML_NAME,
    JSON_NAME,
    MissingCsv,
    default_out_dir,
    read_json,
    write_reports,
)
from auditor.reports.console import err_console, out_console
from auditor.scenario.model import CONNECTIF_API_URL

SUMMARY_EXPLANATIONS = 3


class LossRate(click.ParamType[float]):
    """A loss rate: a fraction (0.05) or a percentage with its sign (5%)."""

    name = "RATE"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """'5%' and '0.05' both mean five per cent; a bare '5' is refused as ambiguous."""
        if isinstance(value, float):
            return value
        text = str(value).strip().replace(",", ".")
        percent = text.endswith("%")
        try:
            number = float(text.removesuffix("%").strip())
        except ValueError:
            self.fail(f"{value!r} is not a rate; write 5% or 0.05", param, ctx)
        if percent:
            number /= 100
        elif number > 1:
            self.fail(f"{value!r} is above 1; did you mean {text}%?", param, ctx)
        if not 0 <= number <= 1:
            self.fail(f"{value!r} must be between 0 and 100%", param, ctx)
        return number


@click.command("reconcile", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--orders",
    "orders_path",
    metavar="ORDERS.csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The shop's order export (CSV: comma, semicolon or tab; UTF-8, UTF-16 or Windows-1252).",
)
@click.option(
    "--purchases",
    "purchases_path",
    metavar="PURCHASES.csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Connectif's purchase export (CSV). Needed unless --connectif-api is given; both may be.",
)
@click.option(
    "--connectif-api",
    "use_api",
    is_flag=True,
    help="Look every order id up in Connectif's REST API (GET /purchases/purchase-id/<id>), with the key "
    "in $CONNECTIF_API_KEY. Answers are kept in connectif-lookups.jsonl in the --out folder: run the "
    "same command again with the same --out to resume an interrupted run.",
)
@click.option(
    "--connectif-api-url",
    "api_url",
    metavar="URL",
    default=CONNECTIF_API_URL,
    show_default=True,
    help="The API's base URL (a proxy or a stand-in may replace it).",
)
@click.option(
    "--api-concurrency",
    type=click.IntRange(1, MAX_CONCURRENCY),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Lookups in flight at once (a 429 holds them all for its Retry-After).",
)
@click.option(
    "--from-json",
    "from_json",
    metavar="RECONCILE.json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read a reconcile.json written earlier instead of the exports: print its summary and exit "
    "0 or 1 by its loss rate (against --max-loss when given, else the one it was written with).",
)
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for reconcile.html, missing.csv and reconcile.json "
    "[default: a new reports/reconcile-YYYYmmdd-HHMMSS].",
)
@click.option(
    "--order-id-column",
    metavar="COLUMN",
    help="The orders' id column [default: found by name: order_id, Order ID, id, reference, "
    "Referencia, Nº pedido…].",
)
@click.option(
    "--purchase-id-column",
    metavar="COLUMN",
    help="The purchases' id column [default: found by name: purchase_id, Purchase ID, id…].",
)
@click.option(
    "--status-column",
    metavar="COLUMN",
    help="The orders' status column [default: found by name (status, estado…) or values]. "
    "Pending, cancelled, failed and refunded orders are not counted as losses.",
)
@click.option(
    "--strip-prefix",
    "prefixes",
    metavar="PREFIX",
    multiple=True,
    help="Ignore this prefix at the start of ids on both sides (any case); repeatable. "
    "Spaces, case and a leading '#' are always ignored.",
)
@click.option(
    "--strip-leading-zeros",
    is_flag=True,
    help="Treat numeric ids that differ only by leading zeros (001001, 1001) as the same.",
)
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="Leave out rows with the wrong number of cells (counted in the report) instead of "
    "stopping with an error that names their lines.",
)
@click.option(
    "--max-loss",
    type=LossRate(),
    default="0",
    show_default=True,
    help="Exit with status 1 when the loss rate is above this: a fraction (0.05) or a percentage (5%).",
)
@click.pass_context
def reconcile(
    ctx: click.Context,
    orders_path: Path | None,
    purchases_path: Path | None,
    use_api: bool,
    api_url: str,
    api_concurrency: int,
    from_json: Path | None,
    out_dir: Path | None,
    order_id_column: str | None,
    purchase_id_column: str | None,
    status_column: str | None,
    prefixes: tuple[str, ...],
    strip_leading_zeros: bool,
    skip_bad_rows: bool,
    max_loss: float,
) -> None:
    """Find the shop's orders that never reached Connectif, and why: against Connectif's purchase export
    (--purchases), its REST API (--connectif-api), or both.

    Exit status: 0 when the loss rate is at most --max-loss, 1 when above it, 2 when the files
    could not be read.
    """
    if from_json is not None:
        given = [
            name
            for name, value in (
                ("--orders", orders_path),
                ("--purchases", purchases_path),
                ("--connectif-api", use_api),
            )
            if value
        ]
        if given or out_dir is not None:
            raise click.UsageError(
                f"--from-json reads a finished reconciliation; leave out {', '.join(given) or '--out'}"
            )
        explicit = ctx.get_parameter_source("max_loss") is not click.core.ParameterSource.DEFAULT
        _from_json(from_json, max_loss if explicit else None)
        return
    if orders_path is None:
        raise click.UsageError("give --orders (or --from-json RECONCILE.json)")
    now = datetime.now()
    out = out_dir or default_out_dir(Path("reports"), now)
    options = Options(
        order_id_column=order_id_column,
        purchase_id_column=purchase_id_column,
        status_column=status_column,
        normalisation=Normalisation(prefixes=prefixes, strip_leading_zeros=strip_leading_zeros),
        skip_bad_rows=skip_bad_rows,
    )
    if purchases_path is None and not use_api:
        raise AuditorError(
            "nothing to compare the orders with",
            tip="give Connectif's export with --purchases PURCHASES.csv, or look the orders up with "
            "--connectif-api (key in $CONNECTIF_API_KEY), or both",
        )
    from auditor.results import check_writable

    check_writable(out, (JSON_NAME, HTML_NAME, CSV_NAME, CACHE_NAME), "the reconciliation", create=False)
    api = _api_source(api_url, api_concurrency, out) if use_api else None
    # Tool errors (AuditorError) propagate to the CLI group, which prints them and exits 2.
    with MissingCsv(out) as missing, _LookupProgress(enabled=api is not None) as progress:
        result = run_reconcile(orders_path, purchases_path, options, sink=missing, api=api, progress=progress)
    paths = [*write_reports(result, out, max_loss=max_loss, created=now), missing.path]
    if api is not None and api.cache is not None:
        paths.append(api.cache)
    _print_summary(result, paths, max_loss)
    if result.above(max_loss):
        # SystemExit rather than ctx.exit(1): click returns an Exit's code instead of exiting
        # when run with standalone_mode=False, and the status must gate CI either way.
        raise SystemExit(1)


def _from_json(path: Path, max_loss: float | None) -> None:
    """Print a reconcile.json's summary as the run that wrote it did; exit 1 above the threshold."""
    # Tool errors (InputError: not a reconcile.json, wrong version) go to the CLI group: exit 2.
    document = read_json(path)
    threshold = document.max_loss if max_loss is None else max_loss
    result = document.reconciliation()
    siblings = [path.parent / name for name in (HTML_NAME, JSON_NAME, CSV_NAME)]
    _print_summary(result, [p for p in siblings if p.exists()] or [path], threshold)
    if result.above(threshold):
        raise SystemExit(1)


def _api_source(url: str, concurrency: int, out: Path) -> ApiSource:
    key = os.environ.get("CONNECTIF_API_KEY", "").strip()
    if not key:
        raise AuditorError(
            "--connectif-api needs an API key in $CONNECTIF_API_KEY",
            tip='export CONNECTIF_API_KEY="<keyId>:<keySecret>" (Store settings → API & IP access → '
            "API Keys, with access to purchases)",
        )
    if not url.startswith(("http://", "https://")):
        raise AuditorError(
            f"--connectif-api-url {url!r} is not an http(s) URL", tip=f"the default is {CONNECTIF_API_URL}"
        )
    return ApiSource(url=url, key=key, concurrency=concurrency, cache=out / CACHE_NAME)


class _LookupProgress:
    """A progress bar for the API lookups, on stderr; nothing when there are none."""

    def __init__(self, *, enabled: bool):
        self.bar = Progress(
            TextColumn("Connectif API"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not enabled,
        )
        self.task = self.bar.add_task("lookups", total=None)

    def __enter__(self) -> _LookupProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)


def _print_summary(result: Reconciliation, paths: list[Path], max_loss: float) -> None:
    failed = result.above(max_loss)
    style = "bold red" if result.lost else "bold green"
    out_console.print(
        Text("Loss rate ", style="bold")
        + Text(pct(result.loss_rate), style=style)
        + Text(f"  {result.lost:,} of {result.sales:,} completed orders are missing from Connectif")
    )
    counts = RichTable(show_header=False, box=None, padding=(0, 2))
    counts.add_column(justify="right")
    counts.add_column()
    rows = [
        (result.orders, "orders in the shop's export"),
        (result.matched, "found in Connectif"),
        (result.matched_after_normalising, "of them only after normalising ids"),
        (result.lost, "lost (missing from Connectif)"),
        (sum(s.orders for s in result.not_a_sale), "not a sale (pending, cancelled, failed, refunded…)"),
        (result.unknown_purchases, "Connectif purchases unknown to the shop"),
        (result.duplicate_orders.ids, "duplicate order ids"),
        (result.duplicate_purchases.ids, "duplicate purchase ids"),
    ]
    for number, label in rows:
        counts.add_row(f"{number:,}", label)
    out_console.print(counts)
    api = result.connectif_api
    if api is not None:
        out_console.print(
            Text(
                f"Connectif's API: {api.ids:,} order ids, {api.found:,} found; {api.asked:,} asked now, "
                f"{api.from_cache:,} answered from the cache, {api.rate_limited:,} answers of 429 honoured",
                style="dim",
            ),
            soft_wrap=True,
        )
    out_console.print(Text("Likely causes", style="bold"))
    for n, explanation in enumerate(result.explanations[:SUMMARY_EXPLANATIONS], start=1):
        line = Text(f" {n}. ") + Text(explanation.title, style="bold")
        if explanation.actions:
            line += Text("\n    → " + explanation.actions[0], style="dim")
        out_console.print(line, soft_wrap=False)
    more = len(result.explanations) - SUMMARY_EXPLANATIONS
    if more > 0:
        out_console.print(Text(f"    … {more} more in the HTML report", style="dim"))
    out_console.print(Text("Exports read", style="bold"))
    for summary in (result.orders_file, result.purchases_file):
        out_console.print(
            Text(f"  {summary.path}: {summary.encoding}, {summary.delimiter}, {summary.rows:,} rows"),
            soft_wrap=True,
        )
    out_console.print(Text("Reports", style="bold"))
    for path in paths:
        out_console.print(Text(f"  {path}"), soft_wrap=True)
    verdict = (
        Text(f"FAIL: loss rate {pct(result.loss_rate)} is above --max-loss {pct(max_loss)}", style="bold red")
        if failed
        else Text(
            f"OK: loss rate {pct(result.loss_rate)} is within --max-loss {pct(max_loss)}", style="bold green"
        )
    )
    out_console.print(verdict)
