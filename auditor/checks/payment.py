"""payment.left_shop, payment.return, confirmation.reached."""

from __future__ import annotations

import math
from typing import Any

from auditor.checks.facts import (
    API_SYNC,
    Expectations,
    confirmation_url,
    result,
    return_ms,
    stopped,
    time_on_platform_ms,
)
from auditor.checks.urlglob import pattern_error, url_matches
from auditor.errors import first_line
from auditor.observation import Observation, PaymentObservation
from auditor.results import CheckResult, Status

NO_PAY = "Not judged: the scenario has no pay step."


def _payment_evidence(payment: PaymentObservation) -> dict[str, Any]:
    return {
        "provider": payment.provider,
        "hosts": payment.hosts,
        "reached": payment.reached,
        "reached_via": payment.reached_via,
        "reached_url": payment.reached_url,
        "first_platform_response_ms": payment.first_platform_response_ms,
        "note": payment.note,
    }


def left_shop(obs: Observation, exp: Expectations) -> CheckResult:
    """payment.left_shop: the pay step reached one of its hosts."""
    check = "payment.left_shop"
    if not exp.has_payment:
        return result(check, Status.SKIP, NO_PAY, {})
    payment = obs.payment
    if payment is None:
        if obs.error:
            return stopped(check, obs, "the pay step")
        return result(check, Status.SKIP, "Not judged: no record of the pay step.", {})
    evidence = _payment_evidence(payment)
    if payment.reached:
        where = f" ({payment.reached_via})" if payment.reached_via else ""
        return result(
            check, Status.PASS, f"Reached the payment platform at {payment.reached_url}{where}.", evidence
        )
    if obs.error:
        return stopped(check, obs, "the payment platform was reached")
    evidence["undeclared_hosts"] = obs.undeclared_hosts
    message, remedy = _not_reached(obs, payment)
    if obs.undeclared_hosts:
        # The one sign of the scenario's own mistake that survives the run (the engine stops at once for a
        # page or payment iframe on a host pay.hosts misses): a small iframe from a host it never names.
        others = ", ".join(obs.undeclared_hosts)
        remedy += (
            f" The browser also went to {others}: if that is the platform, add it to the pay step's `hosts`."
        )
    return result(check, Status.FAIL, message, evidence, remedy)


def _not_reached(obs: Observation, payment: PaymentObservation) -> tuple[str, str]:
    """Why the customer never reached the platform, and what the shop must mend, from what followed the
    submit: the shop's answer to it (an error page), a script error, a platform that never answered, or
    nothing at all. The scenario's own mistakes (a form the browser refused, a click on something that
    does not submit, a submit that led to an unlisted host) end the run in error before this is judged.
    """
    hosts = ", ".join(payment.hosts)
    message = f"The customer never reached the payment platform ({hosts})."
    submit = next((s for s in obs.steps if s.index.endswith(".submit")), None)
    since = submit.started_ms if submit is not None else 0
    click = f"the click on `{submit.target}` ({submit.place})" if submit is not None else "the payment"
    errors = [n for n in obs.navigations if n.page == "main" and n.at_ms >= since and (n.status or 0) >= 400]
    if errors:
        page = errors[-1]
        return (
            f"{message} The shop answered {click} with an error page: {page.method} {page.url} answered "
            f"HTTP {page.status}.",
            f"Fix the shop's checkout: the request behind its payment button ({page.method} {page.url}) must "
            f"lead to the payment platform, not to an error page. The shop's logs for it say why it answered "
            f"HTTP {page.status} (often the payment module's configuration: its keys, its platform URL).",
        )
    thrown = [e for e in obs.console_errors if e.at_ms >= since]
    if thrown:
        return (
            f"{message} After {click}, the page's script threw: {first_line(thrown[0].message, 200)}",
            "Fix the checkout page's script error: the payment button's script fails before it sends the "
            "customer to the platform.",
        )
    note = payment.note or ""
    if "got no answer" in note:  # the shop did send the customer on: the platform never answered
        return (
            f"{message} {note[0].upper()}{note[1:]}.",
            "The payment platform never answered the shop's request: check the platform address the shop's "
            "payment module uses (test or live), and that the platform is up.",
        )
    said = f" {note[0].upper()}{note[1:]}." if note else ""
    return (
        f"{message} After {click}, no page, window or iframe of the platform came.{said}",
        "Make the shop's payment button send the customer to the platform: its form or script never did, "
        "and no error page or script error says why; check the payment module's configuration and the "
        "browser console on the checkout page.",
    )


def _return_evidence(payment: PaymentObservation) -> dict[str, Any]:
    return {
        "return": payment.returned,
        "mechanism": payment.mechanism,
        "first_shop_url": payment.first_shop_url,
        "return_request_method": payment.return_request_method,
        "time_on_platform_ms": time_on_platform_ms(payment),
        "return_ms": return_ms(payment),
        "return_waited_ms": payment.return_waited_ms,
        "return_click_found": payment.return_click_found,
        "return_click": payment.return_click,
        "ways_back": payment.return_candidates,
        "return_timeout_ms": payment.return_timeout_ms,
        "announced_return": payment.announced_return,
        "late_return": payment.late_return,
        "return_cookies_sent": payment.return_cookies_sent,
        "note": payment.note,
    }


AUTO_RETURN = (
    "Configure the payment platform to send the customer back to the shop automatically after paying "
    "(its automatic redirect / return URL setting): Connectif only records the purchase when the "
    "confirmation page loads in the customer's browser. If the platform cannot, have it notify the shop "
    "server-to-server and sync the purchase through Connectif's API."
)


def payment_return(obs: Observation, exp: Expectations) -> CheckResult:
    """payment.return: the platform brought the customer back by itself."""
    check = "payment.return"
    if not exp.has_payment:
        return result(check, Status.SKIP, NO_PAY, {})
    payment = obs.payment
    if payment is None:
        return (
            stopped(check, obs, "the pay step")
            if obs.error
            else result(check, Status.SKIP, "Not judged: no record of the pay step.", {})
        )
    if not payment.reached:
        return result(check, Status.SKIP, "Not judged: the payment platform was never reached.", {})
    evidence = _return_evidence(payment)
    if payment.returned == "automatic" and payment.late_return:
        return _late_return(check, payment, exp, evidence)
    if payment.returned == "automatic":
        took = evidence["return_ms"]
        if took is None:
            after = ""
        elif took <= 0:  # the last payment step's own click or submit already brought the customer back
            after = " as the last payment step ended"
        else:
            after = f" {took} ms after the last payment step"
        return result(
            check,
            Status.PASS,
            f"The platform brought the customer back by itself ({payment.mechanism}){after}.",
            evidence,
        )
    if payment.returned == "manual":
        waited = (
            f" after waiting {payment.return_waited_ms} ms" if payment.return_waited_ms is not None else ""
        )
        click = f"`{payment.return_click}`" if payment.return_click else "`return.click`"
        message = f"The customer came back only by clicking {click}{waited}.{_announced(payment)}"
        status = Status.WARN if exp.return_policy == "manual-allowed" else Status.FAIL
        closes = "A customer who closes the window instead of clicking is never recorded."
        remedy = f"{AUTO_RETURN} {closes} {API_SYNC}"
        return result(check, status, message, evidence, remedy)
    if obs.error and payment.return_waited_ms is None and payment.last_step_ended_ms is None:
        return stopped(check, obs, "the return from the platform")
    clicked = ""
    if payment.return_click_found is False:
        click = f"`{payment.return_click}`" if payment.return_click else "`return.click`"
        clicked = f" (and {click} was not found on the platform's page)"
    timeout_ms = payment.return_timeout_ms
    within = (
        f" within {round(timeout_ms / 1000, 1):g} s of the last payment step (return.timeout)"
        if timeout_ms
        else ""
    )
    message = f"The customer never came back to the shop{within}{clicked}."
    message += _announced(payment)
    ways = payment.return_candidates
    if ways:
        listed = "; ".join(f"`{w['selector']}` ({w['what']})" for w in ways)
        message += (
            f" The platform's last page has a way back: {listed}. If the customer is meant to click it, "
            f"add `return: {{click: {_yaml_scalar(ways[0]['selector'])}}}` to the pay step."
        )
    elif payment.return_click is None:
        message += " The platform's last page has no link or button back to the shop."
    return result(check, Status.FAIL, message, evidence, f"{AUTO_RETURN} {API_SYNC}")


def _late_return(
    check: str, payment: PaymentObservation, exp: Expectations, evidence: dict[str, Any]
) -> CheckResult:
    """An automatic return later than return.timeout, while the auditor waited to click return.click.

    The customer did come back with no further action, but later than the scenario accepts: as for a
    meta refresh announced for later, whether customers wait that long is the scenario's call, so the
    message says how long it took and where return.timeout is. It is judged as a manual return would be
    (the scenario said a customer clicks by then): a failure, a warning under `manual-allowed`.
    """
    late = payment.late_return or {}
    after_ms = int(late.get("after_ms") or 0)
    timeout_ms = late.get("timeout_ms")
    within = f" ({round(int(timeout_ms) / 1000, 1):g} s)" if timeout_ms else ""
    click = f"`{late['click']}`" if late.get("click") else "`return.click`"
    doing = "about to click" if late.get("click_found") else "waiting for"
    # The longest a return.timeout may be and still miss this return: a tenth of a second below it.
    above = f"{math.floor(after_ms / 100) / 10:g}"
    where = f" ({late['timeout_at']})" if late.get("timeout_at") else ""
    message = (
        f"The platform brought the customer back by itself ({payment.mechanism}), but only {after_ms} ms "
        f"after the last payment step, later than return.timeout{within}; the auditor was {doing} {click} "
        "by then. A customer who waits that long comes back; one who leaves sooner is never recorded. If "
        f"that wait is acceptable, raise return.timeout above {above} s{where}; if not, make the platform "
        "return at once."
    )
    status = Status.WARN if exp.return_policy == "manual-allowed" else Status.FAIL
    remedy = (
        "Shorten the platform's wait before its automatic return (its redirect delay setting) so that it "
        "sends the customer back at once: Connectif only records the purchase when the confirmation page "
        f"loads in the customer's browser. {API_SYNC}"
    )
    return result(check, status, message, evidence, remedy)


def _announced(payment: PaymentObservation) -> str:
    """What the platform's page said it would do later than return.timeout, and the scenario's choice."""
    later = payment.announced_return
    if not later:
        return ""
    after = f"{float(later['after_s']):g}"
    return (
        f" The platform's last page announces a return to the shop after {after} s (a meta refresh to "
        f"{later['url']}), later than return.timeout: a customer who waits that long comes back. If that "
        f"wait is acceptable, raise return.timeout above {after} s ({later['timeout_at']}); if not, make "
        "the platform return at once."
    )


def _yaml_scalar(text: str) -> str:
    """A selector written so that YAML reads it back as the same string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def confirmation_reached(obs: Observation, exp: Expectations) -> CheckResult:
    """confirmation.reached: the first shop page after the payment matches confirmation_url."""
    check = "confirmation.reached"
    url = confirmation_url(obs)
    evidence: dict[str, Any] = {"url": url, "expected": exp.confirmation_url}
    if obs.payment is not None:
        redirects = [n.redirect_chain for n in obs.navigations if n.url == url and n.redirect_chain]
        evidence["redirect_chain"] = redirects[0] if redirects else []
    if url is None:
        if obs.error:
            return stopped(check, obs, "a shop page after the payment")
        return result(
            check,
            Status.FAIL,
            "No shop page was reached after the payment.",
            evidence,
            "The customer must come back to the shop's confirmation page; see payment.return.",
        )
    if exp.confirmation_url is None:
        return result(
            check, Status.PASS, f"Back on the shop at {url} (no confirmation_url to match).", evidence
        )
    problem = pattern_error(exp.confirmation_url)
    if problem:
        return result(
            check, Status.SKIP, f"Not judged: confirmation_url is not a valid pattern: {problem}.", evidence
        )
    if url_matches(exp.confirmation_url, url, obs.base_url or None):
        return result(check, Status.PASS, f"The first shop page after the payment is {url}.", evidence)
    return result(
        check,
        Status.FAIL,
        f"The first shop page after the payment is {url}, which does not match {exp.confirmation_url}.",
        evidence,
        "Set the platform's return (success / URL OK) address to the order confirmation page, the one that "
        "renders the cn_purchase tag; or correct `confirmation_url` if the shop's confirmation lives there.",
    )
