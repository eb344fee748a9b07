"""Loading scenario files: YAML with positions, `${ENV}` substitution, matrix expansion, short forms,
clear errors.

Every problem names the file, the line and column, and the key path (`steps[3].fill.value`), says
what was expected and, for misspelt keys and actions, suggests the closest known name. A file with a
`matrix` becomes one scenario per combination, each checked as if it had been written out by hand.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
import math
import os
import re
import typing
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from auditor.errors import InputError, Problem
from auditor.masking import MASK
from auditor.observation import cite
from auditor.scenario import advice
from auditor.scenario.messages import (
    SECTION_KINDS,
    Error,
    closest,
    describe,
    empty_action,
    empty_section,
    explain,
    suggest,
)
from auditor.scenario.model import (
    ACTIONS,
    FLAG_ACTIONS,
    MATRIX_MAX_COMBINATIONS,
    MATRIX_MAX_PRODUCT,
    SHOP_ONLY_ACTIONS,
    STEP_MODIFIERS,
    ElementArgs,
    KeyedErrors,
    Matrix,
    PayArgs,
    PayStep,
    ReturnArgs,
    Scenario,
    matrix_label,
)
from auditor.scenario.refs import REF, combination_title, fill
from auditor.scenario.yamlload import Located, PathKey, format_path, is_sensitive, load_yaml

__all__ = [
    "BUILTIN_NAMES",
    "MAX_PROBLEMS",
    "LoadedScenario",
    "find_scenario_files",
    "load_all",
    "load_scenario",
    "load_scenarios",
    "suggest",
]

BUILTIN_NAMES = ("run_id", "scenario_id", "timestamp", "random")
# `${NAME}`, `${NAME:-default}`; a default may hold run-time references: `${TOTAL:-{{cart_total}}}`.
ENV_PATTERN = re.compile(r"\$(\$?)\{((?:[^{}]|\{\{[^{}]*\}\})*)\}")
ENV_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)
REF_PATTERN = re.compile(r"\{\{([^{}]*)\}\}")  # the name, white space around it included
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)+$")
MAX_PROBLEMS = 50  # per file: thousands of problems would bury the first ones (and take long to find)
# The last problem of a file that has more than MAX_PROBLEMS: where the ones not shown begin.
NOT_SHOWN = f"more problems from here on are not shown: only the first {MAX_PROBLEMS} of a file are listed"
# Where `{{name}}` is not filled in at all: the texts shown as they are written.
UNSUBSTITUTED = ("name", "description", "tags")
# `&name` that starts an anchor: at a value's start, after `: `, `- `, `[`, `{` or `,`.
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s,\[\]{}]+")
ANCHOR_TIP = (
    "a scenario has no key to keep anchors in (unknown keys are refused): put the anchor where its value "
    'is first used and repeat it below, as in `- fill: &card {selector: "#card", value: "{{card}}"}` '
    'then `- fill: *card`, or `- fill: {<<: *card, selector: "#cvc"}` to change a key'
)


@dataclass(frozen=True, kw_only=True)
class LoadedScenario:
    """A validated scenario and where it came from (one combination of its file's matrix, if any)."""

    scenario: Scenario
    file: Path
    id: str  # a slug of the file name (and of the combination's labels), unique within a run
    matrix: dict[str, str] = field(default_factory=dict)  # matrix name → label; empty without a matrix
    warnings: tuple[Problem, ...] = ()  # what validate points out without refusing the file
    # Each step's place ("steps[4]", "steps[4].pay.steps[1]", "steps[4].pay.submit", "steps[4].pay.hosts",
    # "steps[4].pay.return.click"), each `hosts.<name>`, `connectif.api[.url|.key|.wait]` and
    # `expect.cn_purchase.<field>` → its line, for failures at run time to cite.
    lines: Mapping[str, int] = field(default_factory=dict)

    def where(self, *places: str) -> str:
        """`file:line` of the first of `places` whose line is known (the file alone when none is)."""
        return cite(self.file, self.lines, *places)

    combination: int | None = None  # its place among its file's combinations (from 0); None: no matrix


@dataclass(frozen=True)
class _Combination:
    """One combination of a matrix: name → value, and the labels that name it."""

    values: dict[str, Any]
    labels: dict[str, str]

    def title(self) -> str:
        return combination_title(self.labels)


@dataclass(frozen=True, kw_only=True)
class _Loaded:
    scenario: Scenario
    labels: dict[str, str]
    warnings: list[Problem]


class _Loader:
    """One file's load: collects every problem before raising them together."""

    def __init__(self, path: Path, env: Mapping[str, str]):
        self.path = path
        self.file = str(path)
        self.env = env
        self.located: Located = Located(None)
        self.problems: list[Problem] = []
        self.env_failed: set[PathKey] = set()  # values whose ${VAR} is unset: one problem each, no more
        self.matrix_names: list[str] = []
        self.lines: dict[str, int] = {}
        self.load_time_vars: dict[str, str] = {}  # the vars filled in at load time (see fill_vars)

    def problem(self, path: PathKey, message: str, tip: str | None = None) -> None:
        if self.enough():
            return
        line, column = self.located.position(path)
        self.problems.append(
            Problem(file=self.file, line=line, column=column, key=format_path(path), message=message, tip=tip)
        )

    def enough(self) -> bool:
        """One problem past MAX_PROBLEMS is kept, to say where the ones not shown begin."""
        return len(self.problems) > MAX_PROBLEMS

    def error(self) -> InputError:
        # In the order of the file, whatever order they were found in.
        self.problems[:MAX_PROBLEMS] = sorted(
            self.problems[:MAX_PROBLEMS], key=lambda p: (p.line is None, p.line or 0, p.column or 0)
        )
        secrets = self.sensitive_values()
        shown = [self.masked(p, secrets) for p in self.problems[:MAX_PROBLEMS]]
        if self.enough():
            rest = self.problems[MAX_PROBLEMS]
            shown.append(
                Problem(
                    file=self.file,
                    line=rest.line,
                    column=rest.column,
                    key="",
                    message=NOT_SHOWN,
                    tip="fix the ones above first, then load the file again",
                )
            )
        return InputError(shown, truncated=self.enough())

    # ------------------------------------------------------------ ${ENV}

    def expected_as_written(self, raw: dict[str, Any]) -> None:
        """Expected tag values are compared with the tag's text: a bare `purchase_id: 0123` means the
        text 0123, not YAML's number 83, and `payment_method: true` the word. Each value YAML changed is
        taken as written (the count `products` stays a number). `expect.purchase_id` is text like any
        other: a bare number there is refused, with the written text to quote."""
        expect = raw.get("expect")
        purchase = expect.get("cn_purchase") if isinstance(expect, dict) else None
        places: list[tuple[dict[str, Any], PathKey]] = []
        if isinstance(purchase, dict):
            places.append((purchase, ("expect", "cn_purchase")))
            items = purchase.get("items")
            for i, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict):
                    places.append((item, ("expect", "cn_purchase", "items", i)))
        for holder, at in places:
            for key, value in holder.items():
                if key in ("products", "items") and at == ("expect", "cn_purchase"):
                    continue
                written = self.located.written.get((*at, key))
                if written is None or value is None or isinstance(value, str | dict | list):
                    continue
                # `1` and `12.5` mean what they say; `0123`, `1.10`, `12.50`, `true`, `1_000` are text
                # that YAML changed.
                if isinstance(value, bool) or written != str(value):
                    holder[key] = written

    def matrix_as_written(self, raw: dict[str, Any]) -> None:
        """A matrix value is text in a name and in the text it fills: a bare `yes` is labelled and filled
        in as `yes`, not YAML's true, and a price `1.50` as `1.50`, not 1.5. Each scalar YAML changed is
        taken as written; `true`, `2` and `1.5` mean what they say and keep their type."""

        def walk(value: Any, path: PathKey) -> Any:
            if isinstance(value, dict):
                return {k: walk(v, (*path, k)) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v, (*path, i)) for i, v in enumerate(value)]
            written = self.located.written.get(path)
            if written is None or value is None or isinstance(value, str) or written == matrix_label(value):
                return value  # `~` stays null, for the model to refuse
            return written

        if isinstance(raw.get("matrix"), dict):
            raw["matrix"] = walk(raw["matrix"], ("matrix",))

    def sensitive_values(self) -> list[str]:
        """The texts no load error may repeat, wherever in the file they are used: each secret's value
        (so a ${CARD} that is also a step's timeout stays masked there) and the Connectif API key's,
        a key written straight under `connectif.api` included. Longest first, so none is half-masked."""
        raw = self.located.value
        found: set[str] = set()

        def collect(value: Any) -> None:
            if isinstance(value, dict):
                for one in value.values():
                    collect(one)
            elif isinstance(value, list):
                for one in value:
                    collect(one)
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                found.add(str(value))

        if isinstance(raw, dict):
            collect(raw.get("secrets"))
            connectif = raw.get("connectif")
            api = connectif.get("api") if isinstance(connectif, dict) else None
            collect(api.get("key") if isinstance(api, dict) else api)
        # A template is not the secret itself ("{{card.number}}" names a matrix value); a value of a
        # character or two would mask every digit of every message.
        return sorted(
            (v for v in found if len(v) >= 3 and "{{" not in v and v != MASK), key=len, reverse=True
        )

    @staticmethod
    def masked(problem: Problem, secrets: list[str]) -> Problem:
        """A problem whose message and tip repeat none of `secrets` (sensitive_values())."""
        message, tip = problem.message, problem.tip
        for secret in secrets:
            message = message.replace(secret, MASK)
            tip = tip.replace(secret, MASK) if tip else tip
        if (message, tip) == (problem.message, problem.tip):
            return problem
        return dataclasses.replace(problem, message=message, tip=tip)

    def substitute_env(self, value: Any, path: PathKey) -> Any:
        if isinstance(value, dict):
            return {k: self.substitute_env(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute_env(v, (*path, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value

        def replace(match: re.Match[str]) -> str:
            if match.group(1):  # `$${X}` is a literal `${X}`
                return "${" + match.group(2) + "}"
            inner = ENV_NAME.match(match.group(2))
            if not inner:
                self.problem(
                    path,
                    f"${{{match.group(2)}}} is not a variable reference",
                    tip="write ${NAME} or ${NAME:-default}; write $${...} for a literal ${...}",
                )
                self.env_failed.add(path)
                return match.group(0)
            name, default = inner.group(1), inner.group(2)
            found = self.env.get(name)
            if found is not None and (found != "" or default is None):
                return found
            if default is not None:
                return default
            tip = (
                f"export {name}=… before running, pass --var {name}=…, or give a default: ${{{name}:-value}}"
            )
            if path == ("base_url",):
                tip = f"export {name}=… before running, or pass --base-url"
            meant = self.set_variable_like(name)
            if meant is not None:
                tip = f"did you mean ${{{meant}}}? That one is set. Otherwise {tip[0].lower()}{tip[1:]}"
            self.problem(path, f"environment variable {name} is not set", tip=tip)
            self.env_failed.add(path)
            return ""

        # Only up to the last `}`: beyond it nothing matches, and trying every `${` there would take
        # time proportional to the square of the text's length.
        end = value.rfind("}") + 1
        return ENV_PATTERN.sub(replace, value[:end]) + value[end:]

    def set_variable_like(self, name: str) -> str | None:
        """The set variable whose name is closest to an unset one (`SHOP_ULR` → `SHOP_URL`), in any
        case; only names are compared, never values."""
        by_case = {known.lower(): known for known in self.env if known != name}
        close = closest(name.lower(), by_case)
        return by_case[close] if close is not None else None

    # ------------------------------------------------------------ matrix

    def expand_matrix(self, raw: dict[str, Any]) -> list[_Combination]:
        """The combinations of `matrix` (validated here), or one empty one without a matrix."""
        if "matrix" not in raw:
            return [_Combination({}, {})]
        try:
            matrix = _MatrixHolder.model_validate({"matrix": raw["matrix"]}).matrix
        except ValidationError as exc:
            self.report_validation(exc)
            return []
        axes = matrix.axes()
        typos = len(self.problems)
        for name, listed in axes.items():
            # `includes:` would silently be a list of its own, each "value" a whole combination.
            meant = suggest(name, ["include", "exclude"])
            if meant and name not in ("include", "exclude") and all(isinstance(v, dict) for v in listed):
                self.problem(
                    ("matrix", name),
                    f"{name} would be one more list of the matrix, whose values are combinations",
                    tip=meant,
                )
        if len(self.problems) > typos:
            return []
        self.matrix_names = list(dict.fromkeys([*axes, *(k for entry in matrix.include for k in entry)]))
        self.check_matrix_names(raw)
        product = math.prod(len(values) for values in axes.values()) if axes else 0
        if product > MATRIX_MAX_PRODUCT:
            self.problem(
                ("matrix",),
                f"the matrix's lists make {product:,} combinations before exclude",
                tip=f"at most {MATRIX_MAX_COMBINATIONS} combinations run from one file: "
                "shorten the lists or split the file",
            )
            return []
        for i, entry in enumerate(matrix.exclude):
            for key, value in entry.items():
                if key not in axes:
                    self.problem(
                        ("matrix", "exclude", i, key),
                        f"exclude names {key!r}, which is not one of the matrix's lists",
                        tip=suggest(key, axes) or "lists: " + ", ".join(axes),
                    )
                elif not any(_same(value, v) for v in axes[key]):
                    known = [matrix_label(v) or "" for v in axes[key]]
                    self.problem(
                        ("matrix", "exclude", i, key),
                        f"exclude names {key}={matrix_label(value)}, which is not a value of matrix.{key}",
                        tip=suggest(str(matrix_label(value)), known) or "values: " + ", ".join(known),
                    )
        if self.problems:
            return []
        names = list(axes)
        product_of = (dict(zip(names, chosen, strict=True)) for chosen in itertools.product(*axes.values()))
        originals = [
            combination
            for combination in (product_of if axes else [])
            if not any(all(_same(v, combination[k]) for k, v in e.items()) for e in matrix.exclude)
        ]
        added: list[dict[str, Any]] = []
        for entry in matrix.include:  # as GitHub Actions does it
            fits = [c for c in originals if all(_same(v, c[k]) for k, v in entry.items() if k in axes)]
            for combination in fits:
                combination.update({k: v for k, v in entry.items() if k not in axes})
            if not fits:
                # A value named by its label stands for that value of the list, mapping and all, as in
                # exclude: `{card: visa, device: Pixel 7}` gives {{card.number}} too.
                added.append(
                    {
                        k: next((known for known in axes[k] if _same(v, known)), v) if k in axes else v
                        for k, v in entry.items()
                    }
                )
        every = originals + added
        if len(every) > MATRIX_MAX_COMBINATIONS:
            self.problem(
                ("matrix",),
                f"the matrix makes {len(every):,} combinations; at most {MATRIX_MAX_COMBINATIONS} "
                "run from one file",
                tip="shorten the lists, exclude some combinations, or split the file",
            )
            return []
        if not every:
            self.problem(
                ("matrix", "exclude"), "exclude drops every combination: nothing would run", tip=None
            )
            return []
        order = {name: i for i, name in enumerate(self.matrix_names)}
        combinations = []
        for values in every:
            ordered = dict(sorted(values.items(), key=lambda kv: order[kv[0]]))
            labels = {k: matrix_label(v) or "" for k, v in ordered.items()}
            combinations.append(_Combination(ordered, labels))
        titles = [c.title() for c in combinations]
        for title in {t for t in titles if titles.count(t) > 1}:
            self.problem(
                ("matrix", "include"),
                f"two combinations are both named {title}",
                tip="an include entry repeats a combination: drop it or give it another value",
            )
        return combinations

    def check_matrix_names(self, raw: dict[str, Any]) -> None:
        """A matrix name that is also a var, a secret, a capture or a built-in would hide it."""
        taken: dict[str, str] = {name: "a built-in" for name in BUILTIN_NAMES}
        for kind, holder in (("a var", raw.get("vars")), ("a secret", raw.get("secrets"))):
            if isinstance(holder, dict):
                taken.update({name: kind for name in holder})
        taken.update({name: "a capture's name" for name in _raw_captures(raw.get("steps"))})
        for name in self.matrix_names:
            if name in taken:
                path: PathKey = ("matrix", name) if name in (raw.get("matrix") or {}) else ("matrix",)
                self.problem(
                    path,
                    f"{name!r} is a matrix name and also {taken[name]}: {{{{{name}}}}} would be ambiguous",
                    tip="rename one of them",
                )

    def fill_matrix(self, value: Any, path: PathKey, combination: _Combination) -> Any:
        """A copy of a value with the combination's `{{name}}` and `{{name.key}}` filled in."""
        if isinstance(value, dict):
            return {k: self.fill_matrix(v, (*path, k), combination) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill_matrix(v, (*path, i), combination) for i, v in enumerate(value)]
        if not isinstance(value, str) or "{{" not in value or not self.matrix_names:
            return value
        matches = list(REF_PATTERN.finditer(value))
        whole = len(matches) == 1 and matches[0].span() == (0, len(value))

        def replace(match: re.Match[str]) -> Any:
            found = self.matrix_value(match, path, combination)
            if whole and isinstance(found, dict | list):
                return copy.deepcopy(found)  # a whole value: `viewport: "{{device.viewport}}"`
            if found is _NOT_MATRIX:
                return match.group(0)
            if isinstance(found, dict):
                return matrix_label(found) or ""
            if isinstance(found, list):
                self.problem(
                    path,
                    f"{match.group(0)} is a list, which cannot be written inside text",
                    tip="use it as the whole value, or pick one of its items' keys",
                )
                return ""
            if isinstance(found, bool):
                return "true" if found else "false"
            return "" if found is None else str(found)

        if whole:
            return replace(matches[0])
        return REF_PATTERN.sub(lambda m: str(replace(m)), value)

    def matrix_value(self, match: re.Match[str], path: PathKey, combination: _Combination) -> Any:
        """What a `{{name.key}}` stands for in one combination; _NOT_MATRIX when it is no matrix name."""
        parts = match.group(1).strip().split(".")
        head = parts[0]
        if head not in self.matrix_names:
            return _NOT_MATRIX
        if head not in combination.values:
            self.problem(
                path,
                f"{match.group(0)} cannot be filled: this combination has no value for {head}",
                tip=f"every combination that uses {{{{{head}}}}} needs a {head}: give it in the include "
                "entries that add or extend these combinations, or make it one of the matrix's lists",
            )
            return ""
        value = combination.values[head]
        walked = head
        for part in parts[1:]:
            if isinstance(value, dict) and part in value:
                value = value[part]
                walked += "." + part
                continue
            # No label in the message: the same mistake in several combinations is reported once.
            if isinstance(value, dict):
                tip = suggest(part, value) or "its keys: " + ", ".join(value)
                reason = f"{walked} has no key {part!r}"
            else:
                tip = f"write {{{{{walked}}}}}: the value is not a mapping"
                reason = f"{walked} is not a mapping"
            self.problem(path, f"{match.group(0)} cannot be filled: {reason}", tip=tip)
            return ""
        return value

    # ------------------------------------------------------------ steps

    def normalise_steps(self, steps: Any, path: PathKey, *, in_pay: bool) -> Any:
        if not isinstance(steps, list):
            return steps  # the model reports the type
        # A step that cannot be read is replaced by a harmless one, so that the model still reports the
        # problems of every other step in the same run.
        placeholder = {"action": "goto", "args": {"url": "/"}}
        return [
            self.normalise_step(step, (*path, i), in_pay=in_pay) or placeholder
            for i, step in enumerate(steps)
        ]

    def normalise_step(self, step: Any, path: PathKey, *, in_pay: bool) -> Any:
        if not isinstance(step, dict):
            self.problem(
                path,
                f"a step is a mapping with one action, got {describe(step)}",
                tip='write `- click: "#buy"` or `- fill: {selector: "#email", value: "…"}`',
            )
            return None
        actions = [k for k in step if k not in STEP_MODIFIERS]
        known = [k for k in actions if k in ACTIONS]
        if len(known) == 1 and step[known[0]] is None:
            # `- fill:` with `selector:` and `value:` at its own indent: the arguments became siblings.
            action = known[0]
            fields = ACTIONS[action][0].model_fields
            names = {*fields, *(f.alias for f in fields.values() if f.alias)}
            beside = [k for k in actions if k != action and k in names]
            if beside and len(beside) == len(actions) - 1:
                self.problem(
                    (*path, action),
                    f"{action} is empty and {', '.join(beside)} sit beside it, as actions of their own",
                    tip=f"indent {', '.join(beside)} two more spaces, under {action}:",
                )
                return None
        for key in actions:
            if key not in ACTIONS:
                tip = suggest(key, [*ACTIONS, *STEP_MODIFIERS]) or "actions: " + ", ".join(ACTIONS)
                self.problem((*path, key), f"unknown action {key!r}", tip=tip)
        if len(known) > 1:
            self.problem(
                path,
                "a step has exactly one action, this one has " + " and ".join(known),
                tip="split it into one step per action",
            )
        if len(actions) != 1 or len(known) != 1:
            if not actions:
                self.problem(path, "this step has no action", tip="actions: " + ", ".join(ACTIONS))
            return None
        action = known[0]
        if action in SHOP_ONLY_ACTIONS and in_pay:
            if action == "pay":
                self.problem((*path, action), "a pay step cannot contain another pay step")
            else:
                self.problem(
                    (*path, action),
                    f"{action} is not a step on the payment platform",
                    tip=f"put the {action} step after the pay step, on the shop's page",
                )
            return None
        args = step[action]
        model, short_key = ACTIONS[action]
        if action in FLAG_ACTIONS and not isinstance(args, dict):
            if args is not True:
                self.problem(
                    (*path, action),
                    f"{action} takes true or a mapping, got {describe(args)}",
                    tip=f"write `- {action}: true` or `- {action}: {{wait_until: load}}`",
                )
                return None
            args = {}
        if args is None and short_key is not None:
            empty_message, empty_tip = empty_action(action)
            self.problem((*path, action), empty_message, self.comment_tip((*path, action)) or empty_tip)
            return None
        if not isinstance(args, dict):
            if short_key is None:
                required = [n for n, f in model.model_fields.items() if f.is_required()]
                self.problem(
                    (*path, action),
                    f"{action} has no short form; it needs a mapping",
                    tip=f"write {action}: {{{', '.join(f'{r}: …' for r in required)}}}",
                )
                return None
            args = {short_key: args}
        else:
            args = dict(args)
        for modifier in STEP_MODIFIERS:
            if modifier in step:
                if modifier in args:
                    self.problem((*path, modifier), f"{modifier} is given twice, beside and inside {action}")
                args[modifier] = step[modifier]
        if action == "pay":
            args = self.normalise_pay(args, (*path, action))
        return {"action": action, "args": args}

    def normalise_pay(self, args: dict[str, Any], path: PathKey) -> dict[str, Any]:
        submit = args.get("submit")
        if isinstance(submit, str):
            args["submit"] = {"selector": submit}
        ret = args.get("return")
        if isinstance(ret, dict) and isinstance(ret.get("click"), str):
            args["return"] = {**ret, "click": {"selector": ret["click"]}}
        if "steps" in args:
            args["steps"] = self.normalise_steps(args["steps"], (*path, "steps"), in_pay=True)
        return args

    # ------------------------------------------------------------ pydantic errors

    def report_validation(self, exc: ValidationError) -> None:
        by_path: dict[PathKey, list[tuple[str, str | None]]] = {}
        errors = exc.errors(include_url=False)
        # pydantic checks a list's length after dropping its invalid items: a list whose only item is
        # wrong is also "too short". Report the item, not the consequence.
        deeper = [e["loc"] for e in errors]
        errors = [
            e
            for e in errors
            if not (
                e["type"] == "too_short"
                and any(len(other) > len(e["loc"]) and other[: len(e["loc"])] == e["loc"] for other in deeper)
            )
        ]
        located = [(self.user_path(e["loc"], e["type"]), e) for e in errors]
        # A union whose branches all failed: when one branch got inside the value (errors deeper down),
        # the others' "not this type" errors at the value itself are noise.
        inside = {path[:n] for path, _ in located for n in range(len(path))}
        located = [
            (path, e)
            for path, e in located
            if not (path in inside and (e["type"].endswith("_type") or e["type"] == "literal_error"))
        ]
        # A validator that found several mistakes in one value (KeyedErrors) reports each of them.
        each: list[tuple[PathKey, Any]] = []
        for where, found in located:
            cause = (found.get("ctx") or {}).get("error")
            if isinstance(cause, KeyedErrors):
                each += [(where, {**found, "ctx": {"error": one}}) for one in cause.problems]
            else:
                each.append((where, found))
        empty: dict[PathKey, set[str]] = {}  # a mapping or list key with nothing after it → its errors
        for path, error in each:
            if any(path[: len(failed)] == failed for failed in self.env_failed):
                continue  # its ${VAR} is unset: that problem is already reported
            text = str((error.get("ctx") or {}).get("error", ""))
            keyed = re.match(r"\[(\S+?)\] ", text)
            if keyed:  # a validator that names the offending key inside the value
                path = (*path, *_parse_path(keyed.group(1)))
                error = {**error, "ctx": {"error": text[keyed.end() :]}}
            if error.get("input") is None and error["type"] in SECTION_KINDS:
                empty.setdefault(path, set()).add(error["type"])
            at = path[:-1]
            message, tip = explain(
                Error(
                    kind=error["type"],
                    path=path,
                    input=error.get("input"),
                    context=dict(error.get("ctx") or {}),
                    text=error["msg"],
                    allowed=lambda at=at: _fields_at(at),  # type: ignore[misc]
                )
            )
            message, tip = self.as_written(path, error.get("input"), message, tip)
            if error["type"] == "extra_forbidden" and len(path) == 1 and self.holds_anchors(str(path[0])):
                tip = ANCHOR_TIP
            reference = REF_PATTERN.search(error["input"]) if isinstance(error.get("input"), str) else None
            place = _matrix_only(path)
            if reference is not None and place is not None:
                message, tip = self.only_matrix(place, reference.group(0))
            if (message, tip) not in by_path.setdefault(path, []):
                by_path[path].append((message, tip))
        for path, messages in by_path.items():
            if path in empty:  # one message, whichever branches of a union it failed
                self.problem(path, *empty_section(path, empty[path]))
            elif len(messages) == 1:
                self.problem(path, *messages[0])
            else:  # several branches of a union failed: say what each would have needed
                tips = [t for _, t in messages if t]
                wanted = [re.sub(r"^expected |, got .*$", "", m) for m, _ in messages]
                got = next((m.split(", got ", 1)[1] for m, _ in messages if ", got " in m), None)
                self.problem(
                    path,
                    "expected " + " or ".join(dict.fromkeys(wanted)) + (f", got {got}" if got else ""),
                    tip=tips[0] if tips else None,
                )

    def holds_anchors(self, key: str) -> bool:
        """Is an unknown top-level key a place to keep YAML anchors (`x-defaults: &card {…}`, `.common:`),
        by its name as other tools spell such keys, or by an anchor in its value?"""
        if re.match(r"(?i)(x-|x_|\.|_)", key):
            return True
        first = self.located.position((key,))[0]
        if first is None:
            return False
        lines = self.located.lines
        for number in range(first - 1, len(lines)):
            text = lines[number]
            if number >= first and text[:1] not in ("", " ", "\t", "#"):
                return False  # the next top-level key
            if _ANCHOR.search(text):
                return True
        return False

    def only_matrix(self, place: str, reference: str) -> tuple[str, str]:
        """`{{var}}` where only a matrix value is filled in: host names, read before the scenario runs."""
        names = ", ".join(f"{{{{{name}}}}}" for name in self.matrix_names)
        allowed = f"the matrix's values ({names})" if names else "a matrix value, and this file has no matrix"
        return (
            f"{reference} is never filled in here: {place} is read when the file is loaded, before the "
            "scenario runs, so only a matrix value is filled in there, not a var, a secret, a capture or a "
            "built-in",
            f"write the host name itself; allowed here: {allowed}",
        )

    def as_written(self, path: PathKey, value: Any, message: str, tip: str | None) -> tuple[str, str | None]:
        """A message about a value as the author wrote it: YAML's reading of a bare `0123` (83) or `NO`
        (false) is named as such and the tip quotes the text itself; an empty value whose line holds
        an unquoted `#` (a selector read as a comment) says so."""
        written = self.located.written.get(path, self.located.written.get(path[:-1]))
        if is_sensitive(path):
            written = None  # never repeated, even as written
        if written is not None and value is not None and "quote it" in message + (tip or ""):
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            if written != shown:
                message = f"expected text; YAML reads {written} as {describe(value)}"
                tip = f'quote it: "{written}"'
            return message, tip
        if value is None and tip is None:
            tip = self.comment_tip(path)
        return message, tip

    def comment_tip(self, path: PathKey) -> str | None:
        """For a value YAML read as nothing: a selector on its line that YAML read as a comment (`#pay`)."""
        comment = re.search(r":\s+(#\S+)", self.located.line_text(path))
        if comment is None:
            return None
        return f'a # after a space starts a YAML comment, so nothing is left: quote it: "{comment.group(1)}"'

    def user_path(self, loc: tuple[int | str, ...], kind: str) -> PathKey:
        """Pydantic's location → the key path the author wrote."""
        raw: Any = self.located.value
        path: list[str | int] = []
        items = list(loc)
        i = 0
        while i < len(items):
            part = items[i]
            if isinstance(raw, dict) and set(raw) == {"action", "args"} and part == raw["action"]:
                # a normalised step: ("click", "args", ...) → "click"
                path.append(part)
                raw = raw["args"]
                i += 2 if i + 1 < len(items) and items[i + 1] == "args" else 1
                continue
            if _has(raw, part):
                path.append(part)
                raw = raw[part]
            elif kind == "missing" and i == len(items) - 1:
                path.append(part)
            # else: a union branch's label (`literal['present','absent']`, `dict[str,...]`): skip it
            i += 1
        return tuple(path)

    # ------------------------------------------------------------ {{name}} references

    def check_references(self, scenario: Scenario, raw: dict[str, Any]) -> None:
        """Every `{{name}}` names something defined before the place that uses it."""
        captures = _capture_steps(scenario)
        self.check_builtin_names(scenario, captures)
        every = {*BUILTIN_NAMES, *scenario.vars, *scenario.secrets, *captures}
        for path, text in _strings(raw, ()):
            for match in REF_PATTERN.finditer(text):
                if self.enough():
                    return
                name = match.group(1).strip()
                place = _matrix_only(path)
                if path and path[0] in UNSUBSTITUTED:
                    self.not_filled_in(path, name, every)
                elif place is not None:
                    self.problem(path, *self.only_matrix(place, match.group(0)))
                elif not NAME.match(name):
                    self.bad_reference(path, name)
                elif name not in every:
                    self.problem(
                        path,
                        f"{{{{{name}}}}} is not defined by anything in the scenario",
                        tip=suggest(name, [*every, *self.matrix_names])
                        or "define it in vars or secrets, capture it in a step, or use a built-in: "
                        + ", ".join(BUILTIN_NAMES),
                    )
                elif _load_time(path):
                    self.problem(path, *self.not_known_at_load(path, name, scenario))
                else:
                    late = self.too_early(path, name, scenario, captures)
                    if late is not None:
                        self.problem(path, *late)

    def fill_vars(self, doc: dict[str, Any]) -> dict[str, Any]:
        """`doc` with every `{{var}}` of base_url, browser and connectif.api filled in: the browser and
        Connectif's API are set up with them before the first step. Only vars whose values need nothing
        known only at run time (a built-in, or a var that uses one) have a value now; any other
        reference left there is an error (check_references)."""
        held = doc.get("vars")
        self.load_time_vars = {}
        for name, value in held.items() if isinstance(held, dict) else ():
            text = fill(value, self.load_time_vars) if isinstance(value, str) else None
            if text is not None:  # vars are filled in from top to bottom, as at run time
                self.load_time_vars[str(name)] = text

        def walk(value: Any, path: PathKey) -> Any:
            if isinstance(value, dict):
                return {k: walk(v, (*path, k)) for k, v in value.items()}
            if isinstance(value, str) and "{{" in value and _load_time(path):
                return REF.sub(lambda m: self.load_time_vars.get(m.group(1), m.group(0)), value)
            return value

        return typing.cast(dict[str, Any], walk(doc, ()))

    def not_known_at_load(self, path: PathKey, name: str, scenario: Scenario) -> tuple[str, str]:
        """A `{{name}}` left in base_url, browser or connectif.api: it has no value when they are read."""
        if name in scenario.vars:
            why = f"the var {name} uses a value known only when the scenario runs (like {{{{run_id}}}})"
        elif name in scenario.secrets:
            why = "a secret is filled in only in steps and expect"
        elif name in BUILTIN_NAMES:
            why = f"{{{{{name}}}}} has a value only when the scenario runs"
        else:
            why = f"{{{{{name}}}}} is a capture, which has a value only once its step has run"
        allowed = [f"{{{{{n}}}}}" for n in [*self.matrix_names, *self.load_time_vars]]
        return (
            f"{{{{{name}}}}} cannot be filled in at {format_path(path)}: it is read when the file is loaded, "
            f"before the scenario runs, and {why}",
            "allowed there: matrix values and vars whose values need nothing known only at run time"
            + (f" ({', '.join(allowed)})" if allowed else "")
            + "; or write the text itself, or ${NAME} for an environment variable",
        )

    def check_braces(self, raw: dict[str, Any]) -> None:
        """References whose braces are wrong, found in the text alone: so they are reported with every
        other problem of the file, the model's included, not only once those are fixed."""
        names = {*BUILTIN_NAMES, *self.matrix_names, *_raw_captures(raw.get("steps"))}
        for holder in (raw.get("vars"), raw.get("secrets")):
            names.update(holder if isinstance(holder, dict) else ())
        for path, text in _strings(raw, ()):
            unclosed = _unclosed_reference(text)
            if unclosed is not None:
                self.unclosed_reference(path, *unclosed)
            # name, description and tags are shown as written: there only a matrix value is meant.
            known = self.matrix_names if path[:1] and path[0] in UNSUBSTITUTED else names
            lone = _lone_brace(text, known)
            if lone is not None:
                self.lone_brace(path, *lone)

    def lone_brace(self, path: PathKey, written: str, name: str) -> None:
        """`{email}}` or `{ {email}}` for `{{email}}`: the text would be used as written, braces and all."""
        if is_sensitive(path):  # not even a part of it
            self.problem(
                path,
                "a {{name}} reference in this value opens with one brace, so it would be used as literal "
                "text",
                tip="write it with two braces on each side, as in {{name}}",
            )
            return
        spaced = re.match(r"\{\s+\{", written)  # `{ {email}}`, not `{ email }}`
        wrong = "has a space between the braces of {{" if spaced else "opens with one brace"
        self.problem(
            path,
            f"{written!r} {wrong}, where a {{{{name}}}} reference has two together, so it would be used as "
            "literal text",
            tip=f"did you mean {{{{{name}}}}}?",
        )

    def unclosed_reference(self, path: PathKey, written: str, name: str) -> None:
        """`{{email` or `{{ email }`: without its `}}` the text would be used as written, braces and all."""
        if is_sensitive(path):  # not even a part of it
            written, name = "a {{ in this value", ""
        else:
            written = repr(written)
        self.problem(
            path,
            f"{written} opens a {{{{name}}}} reference that is never closed with }}}}, so it would be used "
            "as literal text",
            tip=f"close it with }}}}: {{{{{name}}}}}" if name else "close it with }}, as in {{name}}",
        )

    def not_filled_in(self, path: PathKey, name: str, every: set[str]) -> None:
        """name, description and tags name the scenario before it runs (in --tag, -k, ids and baselines):
        only a matrix value, filled in when the file is loaded, is written into them."""
        where = f"{path[0]} {'are' if path[0] == 'tags' else 'is'} shown as written (only a matrix value is "
        where += "filled in there)"
        if name in every:
            self.problem(
                path,
                f"{{{{{name}}}}} is never filled in: {where}",
                tip=f"write the text itself; {{{{{name}}}}} has a value only when the scenario runs",
            )
            return
        self.problem(
            path,
            f"{{{{{name}}}}} is not defined by anything in the scenario, and {where}",
            tip=suggest(name, self.matrix_names) or "remove the braces, or make it a matrix value",
        )

    def check_builtin_names(self, scenario: Scenario, captures: dict[str, PathKey]) -> None:
        """A var, a secret or a capture named like a built-in ({{run_id}}…) would hide it."""
        named: list[tuple[PathKey, str]] = [(("vars", n), n) for n in scenario.vars]
        named += [(("secrets", n), n) for n in scenario.secrets]
        named += [((*where, "capture", "name"), n) for n, where in captures.items()]
        for path, name in named:
            if name in BUILTIN_NAMES:
                self.problem(
                    path,
                    f"{name} is a built-in name: {{{{{name}}}}} is filled in by the auditor",
                    tip=f"give it another name ({name}_2, my_{name}…)",
                )

    def bad_reference(self, path: PathKey, name: str) -> None:
        if DOTTED.match(name):
            head = name.split(".")[0]
            tip = (
                suggest(head, self.matrix_names) or "matrix names: " + ", ".join(self.matrix_names)
                if self.matrix_names
                else "this scenario has no matrix"
            )
            self.problem(
                path,
                f"{{{{{name}}}}}: only a matrix value has keys to pick, and {head} is not a matrix name",
                tip=tip,
            )
            return
        self.problem(
            path,
            f"{{{{{name}}}}} is not a valid reference",
            tip="write {{name}} with a name made of letters, digits and _",
        )

    def too_early(
        self, path: PathKey, name: str, scenario: Scenario, captures: dict[str, PathKey]
    ) -> tuple[str, str] | None:
        """Why `name` has no value yet at `path` (message, tip), or None when it has one."""
        if name in BUILTIN_NAMES:
            return None
        if path[:1] in (("vars",), ("secrets",)) and len(path) >= 2:
            # vars are filled in first, from top to bottom, then secrets, all before the first step
            order = [("vars", n) for n in scenario.vars] + [("secrets", n) for n in scenario.secrets]
            here = order.index((str(path[0]), str(path[1])))
            if name in {n for _, n in order[:here]}:
                return None
            if name == path[1]:
                return f"{{{{{name}}}}} refers to itself", "give it a value of its own"
            if name in scenario.vars or name in scenario.secrets:
                return (
                    f"{{{{{name}}}}} is defined below {path[1]}: vars, then secrets, are filled in "
                    "from top to bottom",
                    f"move {name} above {path[1]}",
                )
            return (
                f"{{{{{name}}}}} is captured by {format_path(captures[name])}, but vars and secrets are "
                "filled in before the first step",
                f"write {{{{{name}}}}} where it is used instead",
            )
        if name in scenario.vars or name in scenario.secrets:
            return None
        if path[:1] != ("steps",) or len(path) < 2:
            return None  # expect is judged at the end; other keys are not filled in at run time
        first = captures[name]
        if _runs_before(first, path):
            return None
        return (
            f"{{{{{name}}}}} is used before the step that captures it ({format_path(first)})",
            "a capture has a value only once its step has run: capture it earlier, or use it later",
        )

    # ------------------------------------------------------------ all together

    def step_lines(self) -> dict[str, int]:
        """Each step's place → its line, from the positions of the file as written."""
        lines: dict[str, int] = {}

        def note(path: PathKey) -> None:
            if path in self.located.positions:
                lines[format_path(path)] = self.located.positions[path][0]

        raw = self.located.value if isinstance(self.located.value, dict) else {}
        for key in ("", ".url", ".key", ".wait"):  # for the API's errors at run time
            note(("connectif", "api", *key.split(".")[1:]))
        expect = raw.get("expect")
        expected = expect.get("cn_purchase") if isinstance(expect, dict) else None
        for key in expected if isinstance(expected, dict) else ():  # for a failing expected value
            note(("expect", "cn_purchase", key))
        mapped = raw.get("hosts")
        for name in mapped if isinstance(mapped, dict) else ():
            note(("hosts", name))
        steps = raw.get("steps")
        for i, step in enumerate(steps if isinstance(steps, list) else []):
            note(("steps", i))
            pay = step.get("pay") if isinstance(step, dict) else None
            if not isinstance(pay, dict):
                continue
            note(("steps", i, "pay", "submit"))
            note(("steps", i, "pay", "hosts"))
            note(("steps", i, "pay", "return"))
            note(("steps", i, "pay", "return", "timeout"))
            note(("steps", i, "pay", "return", "click"))
            inner = pay.get("steps")
            for j in range(len(inner) if isinstance(inner, list) else 0):
                note(("steps", i, "pay", "steps", j))
        return lines

    def load(self, base_url: str | None) -> list[_Loaded]:
        try:
            self.located = load_yaml(self.path)
        except InputError as exc:
            self.problems = exc.problems
            raise self.error() from None
        raw = self.located.value
        if not isinstance(raw, dict):
            self.problem(
                (),
                f"the top level of a scenario is a mapping, got {describe(raw)}",
                tip="start with `name: …` and `steps:`",
            )
            raise self.error()
        if base_url:  # the option wins, before any ${VAR} in the file's own base_url is looked up
            raw["base_url"] = base_url
        raw = self.substitute_env(raw, ())
        self.expected_as_written(raw)
        self.matrix_as_written(raw)
        self.located.value = raw
        before = len(self.problems)  # an unset ${VAR}: reported with everything else found below
        self.lines = self.step_lines()
        combinations = self.expand_matrix(raw)
        if len(self.problems) > before or not combinations:
            self.check_braces({k: v for k, v in raw.items() if k != "matrix"})  # text alone: still found
            raise self.error()
        found: dict[Problem, list[str]] = {}
        valid: list[tuple[Scenario, dict[str, Any], dict[str, str]]] = []
        outer = self.problems
        for combination in combinations:
            self.problems = []
            doc = {k: v for k, v in raw.items() if k != "matrix"}
            if combination.values:
                doc = self.fill_matrix(doc, (), combination)
                if isinstance(doc.get("name"), str):
                    doc["name"] = f"{doc['name']} {combination.title()}"
            scenario = self.validate(self.fill_vars(doc))
            for problem in self.problems:
                found.setdefault(problem, []).append(combination.title())
            if scenario is not None and not self.problems:
                valid.append((scenario, doc, combination.labels))
        self.problems = outer
        every = [scenario for scenario, _, _ in valid]
        loaded = [
            _Loaded(
                scenario=scenario,
                labels=labels,
                warnings=advice.warnings(
                    scenario, doc, self.located, self.file, [s for s in every if s is not scenario]
                ),
            )
            for scenario, doc, labels in valid
        ]
        for problem, titles in found.items():
            if len(titles) < len(combinations):
                shown = ", ".join(titles[:3]) + (f" and {len(titles) - 3} more" if len(titles) > 3 else "")
                problem = Problem(
                    file=problem.file,
                    line=problem.line,
                    column=problem.column,
                    key=problem.key,
                    message=f"{problem.message} (in {shown})",
                    tip=problem.tip,
                )
            if not self.enough():
                self.problems.append(problem)
        if self.problems:
            raise self.error()
        return loaded

    def validate(self, raw: dict[str, Any]) -> Scenario | None:
        """One scenario (a file, or one combination of its matrix) through the model and the checks."""
        self.check_braces(raw)
        shaped = dict(raw)
        if "steps" in shaped:
            shaped["steps"] = self.normalise_steps(shaped["steps"], ("steps",), in_pay=False)
        self.located.value = shaped
        before = len(self.problems)  # problems filling in the matrix come first; the checks below still run
        try:
            scenario = Scenario.model_validate(shaped)
        except ValidationError as exc:
            self.report_validation(exc)
            return None
        finally:
            self.located.value = raw
        if len(self.problems) > before:  # a step that could not be read
            return None
        if scenario.base_url is None and ("base_url",) not in self.env_failed:
            self.problem(
                ("base_url",),
                "base_url is missing",
                tip="add `base_url: https://…` to the scenario or pass --base-url",
            )
        device = scenario.browser.device
        if device is not None:
            from auditor.scenario.devices import device_names

            names = device_names()
            if names is not None and device not in names:
                self.problem(
                    ("browser", "device"),
                    f"{device!r} is not a Playwright device name",
                    tip=suggest(device, names)
                    or "Playwright's device names are like 'iPhone 13', 'Pixel 7', 'Desktop Chrome'",
                )
        self.check_references(scenario, raw)
        return None if self.problems else scenario


class _MatrixHolder(BaseModel):
    """Validates `matrix` alone, with locations that start at `matrix`."""

    model_config = ConfigDict(defer_build=True)  # built by the first file with a matrix, not at import

    matrix: Matrix


class _NotMatrix:
    """The stand-in for "not a matrix name": the reference is left for run time."""


_NOT_MATRIX = _NotMatrix()


def load_scenarios(
    path: Path,
    *,
    env: Mapping[str, str] | None = None,
    base_url: str | None = None,
    file_id: str | None = None,
) -> list[LoadedScenario]:
    """Load one scenario file: one LoadedScenario, or one per combination of its matrix."""
    loader = _Loader(path, os.environ if env is None else env)
    loaded = loader.load(base_url)
    base = file_id or slug(path.stem)
    scenarios: list[LoadedScenario] = []
    ids: dict[str, int] = {}
    for position, item in enumerate(loaded):
        sid = base
        if item.labels:
            sid = f"{base}--{slug('-'.join(item.labels.values()))}"
            ids[sid] = ids.get(sid, 0) + 1
            if ids[sid] > 1:
                sid = f"{sid}-{ids[sid]}"
        scenarios.append(
            LoadedScenario(
                scenario=item.scenario,
                file=path,
                id=sid,
                matrix=dict(item.labels),
                warnings=tuple(item.warnings),
                lines=dict(loader.lines),
                combination=position if item.labels else None,
            )
        )
    return scenarios


def load_scenario(
    path: Path, *, env: Mapping[str, str] | None = None, base_url: str | None = None
) -> Scenario:
    """Load and validate one scenario file without a matrix; raises InputError with every problem found."""
    loaded = load_scenarios(path, env=env, base_url=base_url)
    if len(loaded) != 1 or loaded[0].matrix:
        raise InputError(
            [
                Problem(
                    file=str(path),
                    line=None,
                    column=None,
                    key="matrix",
                    message=f"the file has a matrix of {len(loaded)} combination(s), not one scenario",
                    tip="load it with load_scenarios, which returns every combination",
                )
            ]
        )
    return loaded[0].scenario


# Letters that Unicode's decomposition leaves whole, written as their usual ASCII spelling.
_ASCII_SPELLING = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
    }
)


def slug(text: str) -> str:
    """A lower-case, dash-separated ASCII name fit for ids and folder names, the same from run to run.

    Accents are dropped (`español` → `espanol`). A text with characters that have no ASCII spelling
    (`日本語`, `€`) keeps what it can and gains a short digest of the whole text: two such labels never
    share an id, and the id does not depend on the order of a matrix's list.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_SPELLING))
    kept = "".join(c for c in decomposed if c.isascii())
    name = re.sub(r"[^a-z0-9]+", "-", kept.lower()).strip("-")
    lost = any(not c.isascii() and unicodedata.category(c)[0] in "LNS" for c in decomposed)
    if not lost:
        return name or "scenario"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
    return f"{name}-{digest}" if name else digest


def file_ids(files: typing.Sequence[Path]) -> dict[Path, str]:
    """Each file's id: the slug of its name, with `-2`, `-3`… for files of the same name in other
    folders, numbered in the order of their paths, not of the command line, so that `run b a` and
    `run a b` give each file the same id."""
    ids: dict[Path, str] = {}
    seen: dict[str, int] = {}
    for file in sorted(files, key=lambda f: os.path.abspath(f)):
        base = slug(file.stem)
        seen[base] = seen.get(base, 0) + 1
        ids[file] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return ids


def find_scenario_files(paths: typing.Iterable[Path]) -> list[Path]:
    """Scenario files named directly, and every *.yaml / *.yml below named folders, in a stable order."""
    found: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    (p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()),
                    key=Path.as_posix,
                )
            )
        elif path.is_file():
            found.append(path)
        elif path.exists():  # /dev/null, a pipe, a socket
            problems.append(
                Problem(
                    file=str(path),
                    line=None,
                    column=None,
                    key="",
                    message="is not a scenario file (a device, a pipe or a socket)",
                    tip="give a .yaml file, or a folder of them",
                )
            )
        else:
            problems.append(
                Problem(file=str(path), line=None, column=None, key="", message="no such file or folder")
            )
    if problems:
        raise InputError(problems)
    unique = list(dict.fromkeys(found))
    if not unique:
        raise InputError(
            [
                Problem(
                    file=", ".join(str(p) for p in paths),
                    line=None,
                    column=None,
                    key="",
                    message="no scenario files (*.yaml) found",
                    tip="give scenario files or folders that contain them",
                )
            ]
        )
    return unique


def load_all(
    paths: typing.Iterable[Path], *, env: Mapping[str, str] | None = None, base_url: str | None = None
) -> list[LoadedScenario]:
    """Load every scenario under `paths`; all problems of all files are raised together."""
    loaded: list[LoadedScenario] = []
    problems: list[Problem] = []
    files = find_scenario_files(paths)
    ids = file_ids(files)
    for file in files:
        try:
            loaded.extend(load_scenarios(file, env=env, base_url=base_url, file_id=ids[file]))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        # A file with more than MAX_PROBLEMS ends with a note that is not a problem: the headline says
        # "more than N problems" (N counts the notes but one, so it stays below the true number).
        cut = any(p.key == "" and p.message == NOT_SHOWN for p in problems)
        raise InputError(problems, truncated=cut)
    return loaded


# ---------------------------------------------------------------- helpers


def _same(wanted: Any, value: Any) -> bool:
    """Does an include/exclude value name this matrix value (equal, or the same label)?"""
    if wanted == value:
        return True
    if isinstance(wanted, dict):
        return False
    return matrix_label(wanted) == matrix_label(value)


def _parse_path(text: str) -> PathKey:
    """`items[1].name` → ('items', 1, 'name')."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        parts.append(int(index) if index else name)
    return tuple(parts)


def _has(container: Any, part: int | str) -> bool:
    """Does this key or index exist in the raw data?"""
    if isinstance(container, dict):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container)


def _strings(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))
    elif isinstance(value, str):
        yield path, value


def _unclosed_reference(text: str) -> tuple[str, str] | None:
    """The first `{{` that no `}}` closes (`{{email`, `{{ email }`), as written, and the name it
    starts ("" when none); None when every reference is closed."""
    rest = REF_PATTERN.sub("", text)
    start = rest.find("{{")
    if start < 0:
        return None
    written = re.match(r"\{\{\s*([A-Za-z0-9_.]*)\s*\}?", rest[start:])
    assert written is not None  # it starts with {{
    shown = written.group(0)
    return shown if len(shown) <= 40 else shown[:40] + "…", written.group(1)[:40]


# `{email}}`, `{ {email}}`: one `{` where `{{` was meant (not after another `{`, which `{{email}}` has).
_LONE_BRACE = re.compile(r"(\{\s+)?(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}")


def _lone_brace(text: str, names: typing.Iterable[str]) -> tuple[str, str] | None:
    """The first `{name}}` or `{ {name}}` whose name (or a dotted name's head) is one of `names`, as
    written, and the name; None when there is none. A `{` before an unknown name (`\\d{3}}`, CSS, JSON)
    is left alone: only a name the scenario defines shows that a reference was meant."""
    known = set(names)
    for match in _LONE_BRACE.finditer(text):
        name = match.group(2)
        if name.split(".")[0] in known:
            shown = match.group(0)
            return (shown if len(shown) <= 40 else shown[:40] + "…"), name[:40]
    return None


def _load_time(path: PathKey) -> bool:
    """Whether a value is read before the first step, so that a `{{var}}` in it is filled in at load time:
    base_url, the browser's settings and Connectif's API (host names: see _matrix_only)."""
    return (
        path == ("base_url",)
        or (path[:1] == ("browser",) and len(path) == 2)
        or path[:2] == ("connectif", "api")
    )


def _matrix_only(path: PathKey) -> str | None:
    """The host names a scenario gives the browser and the auditor before it runs (`hosts`,
    `allow_hosts`, `connectif.hosts`, `pay.hosts`), as the author calls the place; None elsewhere."""
    if path[:1] in (("hosts",), ("allow_hosts",)) and len(path) == 2:
        return str(path[0])
    if path[:2] == ("connectif", "hosts") and len(path) == 3:
        return "connectif.hosts"
    if len(path) == 5 and path[0] == "steps" and path[2:4] == ("pay", "hosts"):
        return "pay.hosts"
    return None


def _raw_captures(steps: Any) -> Iterator[str]:
    """Capture names written in raw steps (before validation), for the matrix's name check."""
    if not isinstance(steps, list):
        return
    for step in steps:
        if not isinstance(step, dict):
            continue
        capture = step.get("capture")
        if isinstance(capture, dict) and isinstance(capture.get("name"), str):
            yield capture["name"]
        pay = step.get("pay")
        if isinstance(pay, dict):
            yield from _raw_captures(pay.get("steps"))


def _capture_steps(scenario: Scenario) -> dict[str, PathKey]:
    """Each captured name → the step that first captures it (`steps[3]`, or `steps[5].pay.steps[1]`)."""
    found: dict[str, PathKey] = {}
    for i, step in enumerate(scenario.steps):
        if step.action == "capture":
            found.setdefault(step.args.name, ("steps", i))
        if isinstance(step, PayStep):
            for j, inner in enumerate(step.args.steps):
                if inner.action == "capture":
                    found.setdefault(inner.args.name, ("steps", i, "pay", "steps", j))
    return found


def _runs_before(capture: PathKey, use: PathKey) -> bool:
    """Has the capture step run when the text at `use` is filled in?"""
    step, used_in = capture[1], use[1]
    assert isinstance(step, int) and isinstance(used_in, int)
    if step != used_in:
        return step < used_in
    if len(capture) == 2:
        return False  # the capture step's own text is filled in before it captures
    # Inside one pay step: its submit runs first, then its steps in order, then its return.
    inner = capture[4]
    assert isinstance(inner, int)
    rest = use[2:]  # ("pay", "steps", j, …) or ("pay", "submit", …) or ("pay", "return", …)
    if len(rest) >= 3 and rest[1] == "steps" and isinstance(rest[2], int):
        return inner < rest[2]
    return len(rest) >= 2 and rest[1] == "return"


def _model_fields(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _fields_at(path: PathKey) -> list[str]:
    """The keys allowed at a user path, for "did you mean" tips."""
    from auditor.scenario.model import ITEM_FIELDS

    if len(path) >= 3 and path[:3] == ("expect", "cn_purchase", "items"):
        return list(ITEM_FIELDS)
    model: type[BaseModel] | None = Scenario
    parts = list(path)
    i = 0
    while model is not None and i < len(parts):
        part = parts[i]
        if part == "steps" and model in (Scenario, PayArgs):
            if len(parts) <= i + 2:  # the steps list itself or one step: no fixed keys
                return []
            action = str(parts[i + 2])  # steps, n, action, ...
            model = ACTIONS[action][0] if action in ACTIONS else None
            i += 3
            continue
        if model is PayArgs and part == "return":
            model = ReturnArgs
        elif model in (PayArgs, ReturnArgs) and part in ("submit", "click"):
            model = ElementArgs
        else:
            found = model.model_fields.get(str(part))
            if found is None:
                found = next((f for f in model.model_fields.values() if f.alias == part), None)
            model = _model_in(found.annotation) if found is not None else None
        i += 1
    return _model_fields(model) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
