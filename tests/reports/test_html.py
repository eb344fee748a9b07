"""report.html, checked by parsing it: what it shows matches the RunResult, and nothing is fetched."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import jinja2
import pytest

from auditor.errors import ErrorKind
from auditor.reports.html import environment, render_html, write_html
from auditor.reports.images import inline_screenshots
from auditor.results import ConnectifRequest, RunResult, ScenarioStatus, Screenshot

from .htmltree import Node, parse
from .sample import (
    HOSTILE,
    demo_like_run,
    hostile_run,
    mixed_run,
    png,
    purchase_event,
    scenario,
    write_screenshots,
)


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[RunResult, Node, str]:
    run = mixed_run()
    write_screenshots(tmp_path)
    html = write_html(run, tmp_path).read_text(encoding="utf-8")
    return run, parse(html), html


def test_counts_match_the_run(mixed: tuple[RunResult, Node, str]) -> None:
    run, doc, _ = mixed
    shown = {t.attrs["data-count"]: int(t.find(cls="num").text()) for t in doc.find_all(cls="tile")}
    assert shown == {**run.counts(), "flaky": sum(s.flaky for s in run.scenarios)}
    assert doc.find("title").words().endswith("3 passed, 2 failed, 1 errored")


def test_one_row_per_scenario_with_its_verdict_and_failing_checks(mixed: tuple[RunResult, Node, str]) -> None:
    run, doc, _ = mixed
    rows = doc.find_all("tr", cls="scenario-row")
    assert [r.attrs["data-status"] for r in rows] == [s.status.value for s in run.scenarios]
    for row, result in zip(rows, run.scenarios, strict=True):
        badge = row.find(cls="verdict").words()
        assert {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[result.status.value] in badge
        assert ("FLAKY" in badge) is result.flaky
        failing = [c.text() for c in row.find(cls="failing").find_all("code")]
        assert failing == [c.id for c in result.checks if c.status.value == "fail"]
        link = row.find("a").attrs["href"]
        assert doc.find_all(id=link[1:])[0].tag == "section"
    assert "manual (click)" in rows[4].find(cls="return").text()
    assert "timed out after 10 s" in rows[5].find(cls="failing").text()
    assert [r.attrs["data-problem"] for r in rows] == ["no", "yes", "no", "yes", "yes", "yes"]


def test_each_scenario_section_shows_checks_with_evidence_and_remedy(
    mixed: tuple[RunResult, Node, str],
) -> None:
    run, doc, _ = mixed
    sections = doc.find_all("section", cls="scenario")
    assert len(sections) == len(run.scenarios)
    comma = sections[3]
    checks = {c.attrs["data-check"]: c for c in comma.find_all(cls="check")}
    assert {k: v.attrs["data-status"] for k, v in checks.items()} == {
        "payment.return": "pass",
        "cn_purchase.valid": "fail",
        "connectif.purchase_sent": "fail",
    }
    valid = checks["cn_purchase.valid"]
    assert valid.find(cls="remedy").words() == "What to do: fix cn_purchase.valid"
    evidence = valid.find("dl", cls="evidence")
    assert [d.text() for d in evidence.find_all("dt")] == ["field", "value", "read_as"]
    assert [d.text() for d in evidence.find_all("dd")] == ["total_price", "180,75", "180"]
    assert "scenarios/card-comma.yaml" in comma.find(cls="facts").text()


def test_purchase_differences_are_highlighted(tmp_path: Path) -> None:
    run = mixed_run()
    tag = {"purchase_id": "A1", "total_price": "12.50", "products": [{}]}
    sent = ConnectifRequest(
        url="u",
        method="POST",
        status=200,
        kind="tracking",
        events=[purchase_event(purchaseId="A1", totalPrice=10, products=[{}])],
    )
    run = run.model_copy(
        update={"scenarios": [scenario("d", "fail", cn_purchase=tag, connectif_requests=[sent])]}
    )
    doc = parse(render_html(run, tmp_path))
    table = doc.find("table", cls="purchase")
    rows = {r.attrs["data-field"]: r for r in table.find_all("tr") if "data-field" in r.attrs}
    assert rows["total_price"].attrs["class"] == "differs"
    assert "differs" in rows["total_price"].find(cls="state").text()
    assert rows["purchase_id"].attrs["class"] == "same"
    assert rows["products (count)"].attrs["class"] == "same"
    assert "1 field differs" in doc.find(cls="diff-count").text()


def grow_of(node: Node) -> float:
    match = re.fullmatch(r"flex-grow: ([0-9.]+)", node.attrs["style"])
    assert match is not None
    return float(match.group(1))


def test_payment_lane_and_return_in_words(mixed: tuple[RunResult, Node, str]) -> None:
    _, doc, _ = mixed
    section = doc.find_all("section", cls="scenario")[0]
    lane = section.find(cls="lane")
    phases = lane.find_all(cls="phase")
    assert [p.attrs["class"] for p in phases] == [
        "phase z-start",
        "phase z-shop",
        "phase z-platform",
        "phase z-shop",
    ]
    # Two shop pages in a row are one phase of the bar, each page a slice of it.
    assert [len(p.find_all(cls="seg")) for p in phases] == [1, 2, 1, 1]
    assert grow_of(phases[2]) == pytest.approx(3700 / 6000, abs=1e-4)
    assert sum(grow_of(p) for p in phases) == pytest.approx(1, abs=1e-3)
    assert [grow_of(s) for s in phases[1].find_all(cls="seg")] == pytest.approx(
        [850 / 1450, 600 / 1450], abs=1e-4
    )
    assert [b.text() for b in lane.find_all("b")] == ["1", "2", "3"]
    legend = [li.words() for li in section.find(cls="lane-legend").find_all("li")]
    assert legend == [
        "1 Shop · 1.4 s",
        "2 Payment platform · 3.7 s",
        "3 Shop, back via form-post · 800 ms",
    ]
    assert (
        "sent them back on its own, by a form submitted with POST"
        in section.find(cls="return-sentence").text()
    )


def test_the_timeline_names_the_return_as_the_summary_does(tmp_path: Path) -> None:
    # Chromium records the page the platform redirected to as a form-post; the summary says http-redirect.
    run = demo_like_run()
    doc = parse(render_html(run, tmp_path))
    section = doc.find("section", id="s-tag-comma")
    assert (
        "automatic via http-redirect" in doc.find("tr", data_anchor="s-tag-comma").find(cls="return").text()
    )
    assert (
        section.find(cls="lane-legend")
        .find_all("li")[-1]
        .words()
        .startswith("3 Shop, back via http-redirect")
    )
    back = section.find("li", cls="return")
    assert "back via http-redirect" in back.words()
    assert "form-post" not in back.words()
    assert "http-redirect" in section.find(cls="lane").attrs["aria-label"]
    assert section.find(cls="return-took").text() == "at once"
    assert "as soon as the last payment step ended" in section.find(cls="return-sentence").text()


def test_an_error_on_the_platform_is_not_called_a_platform_that_never_sends_back(tmp_path: Path) -> None:
    doc = parse(render_html(demo_like_run(), tmp_path))
    row = doc.find("tr", data_anchor="s-platform-error")
    section = doc.find("section", id="s-platform-error")
    assert row.find(cls="return").text() == "not judged (stopped on the platform)"
    assert section.find(cls="return-kind").text() == "not judged"
    sentence = section.find(cls="return-sentence").text()
    assert "not judged" in sentence and "never" not in sentence
    assert "never came back" not in section.words() and "never came back" not in row.words()


def test_screenshots_are_inlined_and_missing_ones_explained(mixed: tuple[RunResult, Node, str]) -> None:
    _, doc, _ = mixed
    crashed = doc.find_all("section", cls="scenario")[5]
    figures = crashed.find_all("figure")
    assert figures[0].attrs["class"] == "at-failure"
    src = figures[0].find("img").attrs["src"]
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == png(seed=7)
    assert figures[1].find("img").attrs["src"].startswith("data:image/png;base64,")
    assert "missing" in figures[2].find(cls="note").text()
    assert "1 screenshot could not be shown" in doc.find(id="summary").words()


def test_screenshots_outside_the_run_folder_or_not_images_are_not_read(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (tmp_path / "secret.png").write_bytes(png())
    (run_dir / "fake.png").write_text("<script>alert(1)</script>")
    shots = [
        Screenshot(name="up", file="../secret.png"),
        Screenshot(name="abs", file=str(tmp_path / "secret.png")),
        Screenshot(name="fake", file="fake.png"),
    ]
    run = RunResult(started="s", finished="f", scenarios=[scenario("x", "pass", screenshots=shots)])
    images = inline_screenshots(run, run_dir)[0]
    assert [i.data_uri for i in images] == [None, None, None]
    assert [i.note for i in images] == [
        "not shown: the file name points outside the run's folder",
        "not shown: the file name points outside the run's folder",
        "not shown: the file is not a PNG, JPEG or WebP image",
    ]


def test_the_budget_keeps_failure_screenshots_first(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png(seed=1))
    (tmp_path / "b.png").write_bytes(png(seed=2))
    size = len(base64.b64encode(png(seed=1))) + len("data:image/png;base64,")
    passing = scenario("p", "pass", screenshots=[Screenshot(name="a", file="a.png", step="1")])
    failing = scenario("f", "fail", screenshots=[Screenshot(name="b", file="b.png", at_failure=True)])
    run = RunResult(started="s", finished="f", scenarios=[passing, failing])
    images = inline_screenshots(run, tmp_path, budget_bytes=size + 10)
    assert images[1][0].data_uri is not None
    assert images[0][0].data_uri is None
    assert "budget" in (images[0][0].note or "")


def test_self_contained_with_a_strict_policy(mixed: tuple[RunResult, Node, str]) -> None:
    _, doc, _ = mixed
    policy = doc.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in policy
    assert "img-src data:" in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    for node in doc.iter():
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            value = node.attrs.get(attr)
            if value is not None:
                assert value.startswith(("#", "data:image/")), f"<{node.tag} {attr}={value[:60]}>"
    assert len(doc.find_all("script")) == 1
    assert not doc.find_all("link")


def test_hostile_text_is_shown_as_text_and_adds_no_markup(tmp_path: Path) -> None:
    run = hostile_run()
    html = render_html(run, tmp_path)
    doc = parse(html)
    assert len(doc.find_all("script")) == 1
    assert "__pwned" not in "".join(doc.find_all("script")[0].text())
    for tag in ("iframe", "svg", "link", "img", "style"):
        count = len(doc.find_all(tag))
        assert count == (1 if tag == "style" else 0), tag
    for node in doc.iter():
        assert not any(name.startswith("on") for name in node.attrs), node
        for attr in ("href", "src"):
            assert not node.attrs.get(attr, "#").lower().startswith("javascript"), node
    text = doc.text()
    for bad in HOSTILE:
        assert bad in text
    assert "javascript:window.__pwned='url'" in doc.find(cls="facts").text()
    section = doc.find("section", cls="scenario")
    assert section.attrs["id"] == "s-script-window-__pwned-id-script"


def test_statuses_are_text_as_well_as_colour(mixed: tuple[RunResult, Node, str]) -> None:
    _, doc, _ = mixed
    words = {"PASS", "FAIL", "ERROR", "WARN", "SKIP", "FLAKY", "failed", "PURCHASE"}
    for badge in doc.find_all(cls="badge"):
        assert badge.words().split()[-1] in words


def test_an_empty_run_renders(tmp_path: Path) -> None:
    doc = parse(render_html(RunResult(started="s", finished="f"), tmp_path))
    assert "No scenarios were run." in doc.find(cls="overall").text()


def test_write_html_is_atomic_and_named_report(tmp_path: Path) -> None:
    path = write_html(RunResult(started="s", finished="f"), tmp_path / "new")
    assert path == tmp_path / "new" / "report.html"
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_error_scenarios_say_so(mixed: tuple[RunResult, Node, str]) -> None:
    run, doc, _ = mixed
    crashed = doc.find_all("section", cls="scenario")[5]
    assert run.scenarios[5].status is ScenarioStatus.ERROR
    assert "step 3 (click #checkout): timed out after 10 s" in crashed.find(cls="error-box").text()
    step = crashed.find("table", cls="steps").find("tr", cls="step-failed")
    assert "failed" in step.words()
    assert not crashed.find_all(cls="error-advice")  # no kind recorded: no advice made up


def test_an_error_box_says_what_to_do_about_its_kind(tmp_path: Path) -> None:
    run = mixed_run()
    crashed = run.scenarios[5].model_copy(update={"error_kind": ErrorKind.HOST_UNREACHABLE})
    run = run.model_copy(update={"scenarios": [*run.scenarios[:5], crashed]})
    doc = parse(write_html(run, tmp_path).read_text(encoding="utf-8"))
    box = doc.find_all("section", cls="scenario")[5].find(cls="error-box")
    assert box.find(cls="error-advice").words() == f"What to do: {ErrorKind.HOST_UNREACHABLE.advice}"


def test_connectif_requests_table_with_what_the_engine_adds(tmp_path: Path) -> None:
    blocked = ConnectifRequest.model_validate(
        {
            "url": "https://eu1-api.connectif.cloud/x",
            "method": "POST",
            "status": None,
            "kind": "tracking",
            "events": [{"type": "page-visit"}, {"type": "purchase"}],
            "failure": "net::ERR_BLOCKED_BY_CLIENT",
            "intercepted": True,
            "at_ms": 5300,
            "page_url": "http://shop.test:8000/order/confirmation/1",
        }
    )
    run = RunResult(
        started="s", finished="f", scenarios=[scenario("x", "fail", connectif_requests=[blocked])]
    )
    page = parse(render_html(run, tmp_path)).find("details", cls="cx-page")
    row = page.find("table", cls="connectif").find_all("tr")[1]
    cells = [c.words() for c in row.find_all("td")]
    assert cells == [
        "5.3 s",
        "tracking",
        "POST",
        "no response (net::ERR_BLOCKED_BY_CLIENT) answered locally",
        "page-visit, purchase",
        "https://eu1-api.connectif.cloud/x",
    ]
    assert row.attrs["class"] == "purchase"
    assert row.find("strong", cls="ev-purchase").text() == "purchase"
    assert "PURCHASE" in page.find("summary").words()
    assert (
        "Confirmation page PURCHASE page 4 of 4, after the payment, at 5.2 s · 1 request"
        in page.find("summary").words()
    )


def test_connectif_requests_are_grouped_by_page_the_confirmation_first(tmp_path: Path) -> None:
    doc = parse(render_html(demo_like_run(), tmp_path))
    section = doc.find("section", id="s-tag-comma")
    pages = section.find_all("details", cls="cx-page")
    assert [p.attrs["data-position"] for p in pages] == ["7", "1", "2", "3", "4"]
    first = pages[0]
    assert first.attrs["class"].split() == ["cx-page", "confirmation", "has-purchase"]
    assert "open" in first.attrs and not any("open" in p.attrs for p in pages[1:])
    summary = first.find("summary")
    assert summary.find(cls="cx-title").text() == "Confirmation page"
    assert "page 7 of 7, after the payment" in summary.words()
    assert summary.find(cls="cx-url").text().startswith("https://shop.test/order/confirmation/ORD-1001?")
    assert "page 2 of 7, before the payment" in pages[2].find("summary").words()
    assert "/product/" in pages[2].find(cls="cx-url").text()
    # Every request is shown exactly once.
    shown = sum(len(p.find("tbody").find_all("tr")) for p in pages)
    assert shown == len(demo_like_run().scenarios[0].connectif_requests) == 10
    assert "10 requests from 5 pages; the confirmation page first." in section.words()


def test_the_purchase_as_connectif_stored_it_is_a_third_column_only_when_there_is_one(tmp_path: Path) -> None:
    doc = parse(render_html(demo_like_run(), tmp_path))
    comma = doc.find("section", id="s-tag-comma")
    table = comma.find("table", cls="purchase")
    assert [th.words() for th in table.find("thead").find_all("th")] == [
        "Field",
        "On the page (cn_purchase)",
        "Sent to Connectif",
        "Stored by Connectif",
        "Comparison",
    ]
    rows = {r.attrs["data-field"]: r for r in table.find_all("tr") if "data-field" in r.attrs}
    assert rows["total_price"].find(cls="stored").text() == "180"
    assert rows["products (count)"].find(cls="stored").text() == "2"
    assert "stored: same" in rows["purchase_date"].find(cls="state").text()  # .000Z is the same moment
    assert (
        comma.find(cls="api-sentence").text()
        == "Connectif's API has purchase ORD-1001: asked 2 times, found at 4.4 s."
    )
    raw = comma.find("details", cls="raw")
    assert [h.words() for h in raw.find_all("h4")] == [
        "On the page (cn_purchase)",
        "Sent to Connectif",
        "Stored by Connectif",
    ]
    assert '"contactId": "65f1c0ffee0123456789abce"' in raw.text()
    # No record: two value columns, and the API's answer in words.
    manual = doc.find("section", id="s-bank-transfer")
    assert not manual.find("table", cls="purchase").find_all(cls="stored")
    assert "Stored by Connectif" not in manual.find("table", cls="purchase").words()
    assert manual.find(cls="api-sentence").text() == (
        "Connectif's API does not have purchase ORD-1004: asked 3 times, last answer 404 at 19.0 s."
    )
    # A purchase synced from the shop's server: only Connectif's record, and no false differences.
    synced = doc.find("section", id="s-api-synced")
    table = synced.find("table", cls="purchase")
    assert "Stored by Connectif" in table.words()
    assert not synced.find_all(cls="diff-count")
    assert {r.find(cls="state").words() for r in table.find_all("tr") if "data-field" in r.attrs} == {
        "= stored only"
    }


def test_failing_checks_in_the_summary_link_to_their_block(tmp_path: Path) -> None:
    run = demo_like_run()
    doc = parse(render_html(run, tmp_path))
    for row, result in zip(doc.find_all("tr", cls="scenario-row"), run.scenarios, strict=True):
        links = row.find(cls="failing").find_all("a", cls="check-link")
        assert [a.words() for a in links] == [c.id for c in result.checks if c.status.value == "fail"]
        for link in links:
            target = doc.find(id=link.attrs["href"][1:])
            assert target.attrs["data-status"] == "fail"
            assert target.attrs["data-check"] == link.words()
            assert target.find("h4").find("a").attrs["href"] == link.attrs["href"]


def test_problems_open_passing_scenarios_folded(tmp_path: Path) -> None:
    run = demo_like_run()
    doc = parse(render_html(run, tmp_path))
    bodies = [s.find("details", cls="scenario-body") for s in doc.find_all("section", cls="scenario")]
    assert ["open" in b.attrs for b in bodies] == [s.status.value != "pass" or s.flaky for s in run.scenarios]


def test_panels_are_included_above_the_scenarios(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "panel.html.j2").write_text(
        '<section id="changed"><h2>Changed</h2><p>{{ panel.note }} · {{ counts.total }}</p></section>'
    )
    env = environment()
    original = env.loader
    env.loader = jinja2.ChoiceLoader([original, jinja2.FileSystemLoader(templates)])  # type: ignore[list-item]
    try:
        html = render_html(mixed_run(), tmp_path, panels=[("panel.html.j2", {"note": "<b>2 new</b>"})])
    finally:
        env.loader = original
    doc = parse(html)
    main = doc.find("main")
    sections = [n for n in main.children if isinstance(n, Node) and n.tag == "section"]
    assert sections[0].attrs["id"] == "changed" and sections[1].attrs["id"] == "summary"
    assert doc.find(id="changed").find("p").text() == "<b>2 new</b> · 6"


def test_the_journey_strip_shows_every_shop_page_under_the_timeline(tmp_path: Path) -> None:
    run = demo_like_run()
    doc = parse(write_html(run, tmp_path).read_text(encoding="utf-8"))
    paypal = next(s for s in run.scenarios if s.id == "paypal-popup")
    section = doc.find("section", id="s-paypal-popup")
    strip = section.find(cls="journey")
    marks = strip.find_all("li", cls="jm")
    assert [m.attrs["data-kind"] for m in marks] == ["home", "product", "cart", "checkout", "confirmation"]
    assert len(marks) == len(paypal.journey)
    last = marks[-1]
    assert [c.text() for c in last.find_all("code", cls="jm-tag")] == [
        "cn_cart",
        "cn_client_info",
        "cn_purchase",
    ]
    assert last.find(cls="jm-events").words() == "sent: purchase, page-visit"
    assert last.find(cls="jm-events").find("strong", cls="ev-purchase").text() == "purchase"
    assert "ada.lovelace+checkout-audit@example.com" in last.find(cls="jm-contact").text()
    assert "cart cart-1a2b3c4d, 1 item" in marks[2].find(cls="jm-cart").words()
    assert "jm-after" in last.attrs["class"] and "jm-purchase" in last.attrs["class"]
    # It comes right after the timeline's list of pages, before the return sentence.
    children = [c for c in section.find(cls="scenario-body").children if isinstance(c, Node)]
    classes = [c.attrs.get("class", "") for c in children]
    assert classes.index("journey") == classes.index("pages") + 1
    assert classes[classes.index("journey") + 1] == "return-sentence"
    # Scenarios whose results carry no journey show no strip.
    assert not doc.find("section", id="s-api-synced").find_all(cls="journey")


def test_the_journey_strip_escapes_what_the_shop_wrote(tmp_path: Path) -> None:
    html = write_html(demo_like_run(), tmp_path).read_text(encoding="utf-8")
    doc = parse(html)
    strip = doc.find("section", id="s-hostile-shop").find(cls="journey")
    text = strip.text()
    assert HOSTILE[0] in text and HOSTILE[1] in text  # shown as text …
    assert not strip.find_all("script") and not strip.find_all("img")  # … never as markup
