"""Warnings about a valid scenario: what `validate` points out without refusing the file.

They are about name resolution, where a scenario's mistake shows up only when the browser runs, as a
network error far from its cause: a payment host that the mapping forgets, a mapped name that nothing
uses (often a typo of the one that is used), and a `.test` name with no mapping at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from auditor.connectif.patterns import is_connectif_host, parse_pattern
from auditor.errors import Problem
from auditor.scenario.messages import closest
from auditor.scenario.model import GotoStep, PayStep, Scenario
from auditor.scenario.yamlload import Located, PathKey, format_path

# Top-level domains no public DNS answers for (RFC 2606 / 6761): only `hosts:` can make them resolve.
PRIVATE_SUFFIXES = (".test", ".example", ".invalid", ".internal", ".lan", ".home.arpa")
# Host names that stand for Connectif's own hosts, to tell whether a wildcard mapping covers them.
_CONNECTIF_SAMPLES = ("cdn.connectif.cloud", "eu1-api.connectif.cloud")


def host_of(url: str) -> str | None:
    """The host of an absolute http(s) URL (lower case), or None."""
    if "{{" in url:
        return None  # filled in at run time: the host is not known yet
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return host.lower() if parts.scheme in ("http", "https") and host else None


def covers(pattern: str, host: str) -> bool:
    """Does a host name or `*.` pattern cover a host name (or the same pattern)?"""
    if pattern == host:
        return True
    return pattern.startswith("*.") and host.endswith(pattern[1:]) and not host.startswith("*.")


def _visited(scenario: Scenario) -> Iterator[tuple[PathKey, str]]:
    """Where the scenario sends the browser: base_url and every absolute goto, with their paths."""
    if scenario.base_url:
        host = host_of(scenario.base_url)
        if host:
            yield ("base_url",), host
    for i, step in enumerate(scenario.steps):
        inner: Iterable[tuple[PathKey, Any]] = [(("steps", i), step)]
        if isinstance(step, PayStep):
            inner = [(("steps", i, "pay", "steps", j), s) for j, s in enumerate(step.args.steps)]
        for path, one in inner:
            if isinstance(one, GotoStep):
                host = host_of(one.args.url)
                if host:
                    yield (*path, "goto"), host


def _pay_hosts(scenario: Scenario) -> Iterator[tuple[PathKey, str]]:
    for i, step in enumerate(scenario.steps):
        if isinstance(step, PayStep):
            for j, host in enumerate(step.args.hosts):
                yield ("steps", i, "pay", "hosts", j), host


def _connectif_uses(mapped: str, extra: Iterable[str]) -> bool:
    if not mapped.startswith("*."):
        return is_connectif_host(mapped, extra)
    samples = list(_CONNECTIF_SAMPLES)
    for text in extra:
        try:
            samples.append(parse_pattern(text).text.split("/")[0].replace("*", "x").lower())
        except ValueError:
            continue
    return any(covers(mapped, sample) for sample in samples)


def warnings(
    scenario: Scenario,
    raw: dict[str, Any],
    located: Located,
    file: str,
    siblings: Sequence[Scenario] = (),
) -> list[Problem]:
    """Every warning for one loaded scenario, located in its file.

    siblings: the other combinations of its file's matrix; a mapped host one of them uses is used.
    """
    found: list[Problem] = []

    def warn(path: PathKey, message: str, tip: str | None) -> None:
        line, column = located.position(path)
        found.append(
            Problem(file=file, line=line, column=column, key=format_path(path), message=message, tip=tip)
        )

    mapped = list(scenario.hosts)
    visited = list(_visited(scenario))
    pay = list(_pay_hosts(scenario))
    if mapped:
        for path, host in pay:
            if not any(covers(m, host) for m in mapped):
                warn(
                    path,
                    f"{host} is not in hosts:, so the browser looks it up in DNS, while the scenario maps "
                    "other names",
                    f"hosts: maps {closest(host, mapped)}: a typo for {host}?"
                    if closest(host, mapped)
                    else f"add `{host}: <IP>` under hosts: if it has no public DNS (a lab or a staging host)",
                )
        used = [h for _, h in visited] + [h for _, h in pay] + list(scenario.allow_hosts)
        for other in siblings:  # `hosts:` is shared by every combination of a matrix
            used += [h for _, h in [*_visited(other), *_pay_hosts(other)]] + list(other.allow_hosts)
        for name in mapped:
            if any(covers(name, h) or covers(h, name) for h in used):
                continue
            if _connectif_uses(name, scenario.connectif.hosts):
                continue
            unmapped = [h for h in dict.fromkeys(used) if not any(covers(m, h) for m in mapped)]
            close = closest(name, unmapped)
            warn(
                ("hosts", name),
                f"hosts maps {name}, which nothing in the scenario uses (not base_url, pay.hosts, a goto, "
                "allow_hosts or Connectif's hosts)",
                f"did you mean {close}? The scenario uses it and hosts: does not map it"
                if close
                else "remove it, unless the shop's pages load something from it",
            )
    else:
        seen: set[str] = set()
        for path, host in [*visited, *pay]:
            private = host.removeprefix("*.")
            if host in seen or not private.endswith(PRIVATE_SUFFIXES):
                continue
            seen.add(host)
            suffix = next(s for s in PRIVATE_SUFFIXES if private.endswith(s))
            warn(
                path,
                f"{host} ends in {suffix}, which no public DNS resolves, and the scenario has no hosts:",
                f"add `hosts: {{{private}: 127.0.0.1}}` (or the server's address) so the browser finds it",
            )
    for path, message, tip in _secrets_in_names(scenario, [*visited, *pay]):
        warn(path, message, tip)
    return sorted(found, key=lambda w: (w.line or 0, w.column or 0))


def _secrets_in_names(
    scenario: Scenario, hosts: list[tuple[PathKey, str]]
) -> Iterator[tuple[PathKey, str, str]]:
    """Secrets whose value also stands in a host or URL: masking every occurrence would hide those too.

    The value itself is never part of the warning.
    """
    places = [*hosts, *((("hosts", name), name) for name in scenario.hosts)]
    if scenario.base_url:
        places.append((("base_url",), scenario.base_url))
    for name, value in scenario.secrets.items():
        if not value or "{{" in value:
            continue  # no value, or one known only when the scenario runs
        for path, text in places:
            if value.lower() in text.lower():
                yield (
                    ("secrets", name),
                    f"the value of secret {name!r} also appears in {format_path(path)}: every occurrence "
                    "of a secret is masked in the outputs, so that name will show as •••",
                    "give the secret a value no host or URL of the scenario contains (a sandbox password "
                    "such as `sandbox` masks `sandbox.paypal.test` too)",
                )
                break
