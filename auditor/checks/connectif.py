"""connectif.script, connectif.purchase_sent, page.errors."""

from __future__ import annotations

from typing import Any

from auditor.checks.facts import (
    API_SYNC,
    Expectations,
    after_payment_ms,
    confirmation_url,
    intercepted_note,
    on_confirmation_page,
    request_evidence,
    requests_on_confirmation,
    result,
    sent_by,
    stopped,
    tags_seen,
    this_purchase_id,
)
from auditor.connectif.tag import read_tag
from auditor.connectif.tracking import SentPurchase, compare_purchase, sent_purchases, with_id
from auditor.errors import first_line
from auditor.hosts import host_of, unreachable
from auditor.observation import ConnectifRequestRecord, Observation
from auditor.results import CheckResult, Status

LOAD_SCRIPT = (
    "Load Connectif's script on every page, the order confirmation included (check that page's template, "
    "and that a cookie banner or tag manager does not hold it back), and list the shop's domain under "
    "Store settings → Channels → Web → Authorized domains."
)


def _loaded(request: ConnectifRequestRecord) -> bool:
    return request.failure is None and request.status is not None and 200 <= request.status < 300


def script(obs: Observation, exp: Expectations) -> CheckResult:
    """connectif.script: the client script loads (2xx) on the confirmation page (`absent`: it does not)."""
    check = "connectif.script"
    url = confirmation_url(obs)
    if url is None:
        if obs.error:
            return stopped(check, obs, "the confirmation page")
        return result(check, Status.SKIP, "Not judged: the customer never came back to a shop page.", {})
    requests = requests_on_confirmation(obs, "script")
    elsewhere = [r for r in obs.connectif_requests if r.kind == "script" and r not in requests]
    evidence: dict[str, Any] = {
        "url": url,
        "requests": [request_evidence(r) for r in requests],
        "loaded_on_other_pages": sorted({r.page_url for r in elsewhere if _loaded(r)}),
    }
    loaded = [r for r in requests if _loaded(r)]
    if exp.script == "absent":
        if requests:
            return result(
                check,
                Status.FAIL,
                f"Connectif's script was requested on {url}, where it should not be.",
                evidence,
                "Remove Connectif's script from this page.",
            )
        return result(check, Status.PASS, "Connectif's script was not requested, as expected.", evidence)
    if loaded:
        return result(
            check, Status.PASS, f"Connectif's script loaded on {url} (HTTP {loaded[0].status}).", evidence
        )
    status = Status.WARN if exp.script == "optional" else Status.FAIL
    optional = " (optional in this scenario)" if exp.script == "optional" else ""
    if requests:
        last = requests[-1]
        if unreachable(last.failure):  # the name did not resolve, nothing answered: not the shop's doing
            return result(
                check,
                Status.SKIP,
                f"Not judged: the browser could not reach {host_of(last.url)} ({last.failure}).",
                evidence,
            )
        how = f"failed ({last.failure})" if last.failure else f"answered HTTP {last.status}"
        if last.status is None and not last.failure:
            how = "got no answer"
        return result(
            check,
            status,
            f"Connectif's script was requested on {url} but {how}{optional}.",
            evidence,
            "Check the script's address (store id and region) in the page, and that nothing (a content "
            "security policy, a proxy, an ad blocker rule) blocks cdn.connectif.cloud.",
        )
    if obs.error:
        return stopped(check, obs, "Connectif's script could load")
    return result(
        check, status, f"Connectif's script was not requested on {url}{optional}.", evidence, LOAD_SCRIPT
    )


def purchase_sent(obs: Observation, exp: Expectations) -> CheckResult:
    """connectif.purchase_sent: a tracking request carried this purchase, with the tag's values, once."""
    check = "connectif.purchase_sent"
    purchase_id = this_purchase_id(obs, exp)
    all_sent = sent_purchases(obs.connectif_requests)
    mine = with_id(all_sent, purchase_id)
    tracking = [r for r in obs.connectif_requests if r.kind == "tracking"]
    evidence: dict[str, Any] = {
        "purchase_id": purchase_id,
        "tracking_requests": [request_evidence(r) for r in tracking],
        "purchase_events": [
            {"purchaseId": p.purchase_id, "request": p.request_index, "at_ms": p.at_ms, "status": p.status}
            for p in all_sent
        ],
    }
    which = f"purchase {purchase_id}" if purchase_id else "any purchase"
    if exp.purchase_sent == "absent":
        if mine:
            return result(
                check,
                Status.FAIL,
                f"A tracking request carried {which}, where none should be sent.",
                evidence,
                "Render the cn_purchase tag (or send the purchase event) only after a completed payment.",
            )
        if obs.error:
            return stopped(check, obs, "the tracking requests could be watched to the end")
        return result(check, Status.PASS, f"No tracking request carried {which}, as expected.", evidence)
    optional = exp.purchase_sent == "optional"
    if not mine:
        if obs.error:
            return stopped(check, obs, "the tracking request could be seen")
        message, more, remedy = _not_sent(obs, which, tracking, all_sent)
        return result(check, Status.WARN if optional else Status.FAIL, message, {**evidence, **more}, remedy)
    accepted = [p for p in mine if p.accepted]
    if not accepted:
        last = mine[-1]
        if unreachable(last.failure):  # the name did not resolve, nothing answered: not the shop's doing
            return result(
                check,
                Status.SKIP,
                f"Not judged: the tracking request carrying {which} could not reach its host "
                f"({last.failure}).",
                evidence,
            )
        answer = last.failure or (f"HTTP {last.status}" if last.status else "no answer")
        return result(
            check,
            Status.WARN if optional else Status.FAIL,
            f"The tracking request carrying {which} was sent but not accepted ({answer}).",
            evidence,
            "Check that the shop's domain is authorized in Connectif and that nothing blocks Connectif's "
            f"API. {API_SYNC}",
        )
    sent = accepted[0]
    evidence["sent"] = sent.purchase
    # Under connectif.mode: intercept the auditor answered the request: Connectif never got it.
    told = sent_by(sent.intercepted)
    aside = intercepted_note(sent.intercepted)
    repeated = duplicates(obs, mine)
    if repeated:
        evidence["duplicates"] = repeated
    tags = tags_seen(obs).tags
    tag_purchase = read_tag(tags[0]).purchase if tags else None
    differences = compare_purchase(sent.purchase, tag_purchase) if tag_purchase else []
    if differences:
        evidence["differences"] = [{"key": d.key, "tag": d.tag, "sent": d.sent} for d in differences]
        keys = ", ".join(d.key for d in differences)
        return result(
            check,
            Status.WARN if optional else Status.FAIL,
            f"{told} {which}, but with values that differ from the tag: {keys}.{aside}",
            evidence,
            "Send one purchase only, from the tag (or from a sendEvents call that uses the same values): a "
            "script that sends its own purchase event must carry the order's real values.",
        )
    if repeated:
        events = sum(r["purchase_events"] for r in repeated)
        where = "; ".join(f"{r['page_url'] or r['url']} at {r['at_ms']} ms" for r in repeated[:5])
        if len(repeated) > 5:
            where += f"; and {len(repeated) - 5} more"
        reloads = [s for s in obs.steps if s.action == "reload" and s.started_ms >= after_payment_ms(obs)]
        after_reload = (
            f" The scenario reloaded the page {len(reloads)} time(s): a confirmation page that renders the "
            "tag on every view sends the purchase again each time."
            if reloads
            else ""
        )
        policy = " (expect.connectif.duplicates: fail)" if exp.duplicates == "fail" else ""
        return result(
            check,
            Status.FAIL if exp.duplicates == "fail" else Status.WARN,
            f"{told} {which} {events} times (in {len(repeated)} request(s): {where}): a "
            f"duplicate{policy}.{after_reload}{intercepted_note(sent.intercepted, len(repeated))}",
            evidence,
            "Send the purchase once: render the tag only on the first view of the confirmation (not on "
            "reloads) and do not also call sendEvents with a purchase event for the same order.",
        )
    if sent.intercepted:
        evidence["intercepted"] = True
        return result(
            check,
            Status.PASS,
            f"A tracking request carried {which} at {sent.at_ms} ms; it was answered by the auditor under "
            "connectif.mode: intercept, so Connectif never got it (only a server sync can record it there).",
            evidence,
        )
    return result(
        check, Status.PASS, f"Connectif was sent {which} at {sent.at_ms} ms (HTTP {sent.status}).", evidence
    )


def duplicates(obs: Observation, mine: list[SentPurchase]) -> list[dict[str, Any]]:
    """The tracking requests after the payment (reloads included) that carried this purchase, if twice+."""
    after = after_payment_ms(obs)
    counted = [p for p in mine if p.at_ms >= after]
    if len(counted) < 2:
        return []
    rows: dict[int, dict[str, Any]] = {}
    for purchase in counted:
        request = obs.connectif_requests[purchase.request_index]
        row = rows.setdefault(
            purchase.request_index,
            {
                "request": purchase.request_index,
                "url": request.url,
                "page_url": request.page_url,
                "at_ms": request.at_ms,
                "status": request.status,
                "purchase_events": 0,
            },
        )
        row["purchase_events"] += 1
    return list(rows.values())


def _not_sent(
    obs: Observation, which: str, tracking: list[ConnectifRequestRecord], all_sent: list[SentPurchase]
) -> tuple[str, dict[str, Any], str]:
    """Message, evidence and remedy when no tracking request carried this purchase."""
    evidence: dict[str, Any] = {"purchase_ids_sent": [p.purchase_id for p in all_sent]}
    tags = tags_seen(obs).tags
    dropped = read_tag(tags[0]).dropped if tags else None
    if dropped:
        evidence["purchase_dropped"] = dropped
    if all_sent:
        ids = ", ".join(evidence["purchase_ids_sent"])
        message = f"No tracking request carried {which}; purchase events carried {ids}."
        remedy = "Make the tag (or the purchase event) carry the order's own purchase_id."
    elif tracking:
        message = f"Tracking requests were sent, but none carried {which}."
        remedy = (
            "Make sure the cn_purchase tag is in the page when Connectif's script starts (see cn_purchase.*)."
        )
    else:
        message = f"No tracking request was sent to Connectif, so {which} was not recorded."
        remedy = LOAD_SCRIPT
    if dropped:
        message += f" Connectif's script drops the tag's purchase: {dropped}."
        remedy = "Fix the tag so Connectif's script can read it (see cn_purchase.valid)."
    undecodable = [r.body_error for r in tracking if r.body_error]
    if undecodable:
        evidence["body_errors"] = undecodable
    return message, evidence, f"{remedy} {API_SYNC}"


def page_errors(obs: Observation, exp: Expectations) -> CheckResult:
    """page.errors: never fails; warns with the uncaught script errors of the confirmation page."""
    check = "page.errors"
    url = confirmation_url(obs)
    if url is None:
        if obs.error:
            return stopped(check, obs, "the confirmation page")
        return result(check, Status.SKIP, "Not judged: the customer never came back to a shop page.", {})
    errors = [e for e in obs.console_errors if on_confirmation_page(obs, e.page_url, e.at_ms)]
    evidence: dict[str, Any] = {
        "url": url,
        "errors": [{"at_ms": e.at_ms, "message": e.message[:500]} for e in errors[:20]],
        "count": len(errors),
    }
    if not errors:
        return result(check, Status.PASS, f"No script errors on {url}.", evidence)
    return result(
        check,
        Status.WARN,
        f"{len(errors)} script error(s) on {url}, the first: {first_line(errors[0].message, 200)}",
        evidence,
        "Fix the page's script errors: an error thrown before Connectif's script starts can keep the "
        "purchase from being sent.",
    )
