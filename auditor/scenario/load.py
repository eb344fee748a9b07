"""Loading scenario files: YAML with positions, `${ENV}` substitution, short forms, clear errors.

Every problem names the file, the line and column, and the key path (`steps[3].fill.value`), says
what was expected and, for misspelt keys and actions, suggests the closest known name.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from auditor.errors import InputError, Problem
from auditor.scenario.model import (
    ACTIONS,
    STEP_MODIFIERS,
    ElementArgs,
    PayArgs,
    ReturnArgs,
    Scenario,
)
from auditor.scenario.yamlload import Located, PathKey, format_path, load_yaml

BUILTIN_NAMES = ("run_id", "scenario_id", "timestamp", "random")
ENV_PATTERN = re.compile(r"\$(\$?)\{([^}]*)\}")
ENV_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)
REF_PATTERN = re.compile(r"\{\{([^{}]*)\}\}")  # the name, white space around it included
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_PROBLEMS = 50  # per file: thousands of problems would bury the first ones (and take long to find)


@dataclass(frozen=True, kw_only=True)
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    file: Path
    id: str  # a slug of the file name, unique within a run


def suggest(word: str, choices: typing.Iterable[str]) -> str | None:
    """A "did you mean …?" tip for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class _Loader:
    """One file's load: collects every problem before raising them together."""

    def __init__(self, path: Path, env: Mapping[str, str]):
        self.path = path
        self.file = str(path)
        self.env = env
        self.located: Located = Located(None)
        self.problems: list[Problem] = []

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
        shown = self.problems[:MAX_PROBLEMS]
        if self.enough():
            rest = self.problems[MAX_PROBLEMS]
            shown.append(
                Problem(
                    file=self.file,
                    line=rest.line,
                    column=rest.column,
                    key="",
                    message="more problems from here on are not shown",
                    tip="fix the ones above first",
                )
            )
        return InputError(shown)

    # ------------------------------------------------------------ ${ENV}

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
                return match.group(0)
            name, default = inner.group(1), inner.group(2)
            found = self.env.get(name)
            if found is not None and (found != "" or default is None):
                return found
            if default is not None:
                return default
            self.problem(
                path,
                f"environment variable {name} is not set",
                tip=f"export {name}=… before running, or give a default: ${{{name}:-value}}",
            )
            return ""

        # Only up to the last `}`: beyond it nothing matches, and trying every `${` there would take
        # time proportional to the square of the text's length.
        end = value.rfind("}") + 1
        return ENV_PATTERN.sub(replace, value[:end]) + value[end:]

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
                f"a step is a mapping with one action, got {_kind(step)}",
                tip='write `- click: "#buy"` or `- fill: {selector: "#email", value: "…"}`',
            )
            return None
        actions = [k for k in step if k not in STEP_MODIFIERS]
        known = [k for k in actions if k in ACTIONS]
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
        if action == "pay" and in_pay:
            self.problem((*path, action), "a pay step cannot contain another pay step")
            return None
        args = step[action]
        model, short_key = ACTIONS[action]
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
        for error in errors:
            path = self.user_path(error["loc"], error["type"])
            keyed = re.match(r"\[([^\]]+)\] ", str((error.get("ctx") or {}).get("error", "")))
            if keyed:  # a validator that names the offending key inside a mapping
                path = (*path, keyed.group(1))
                error = {**error, "ctx": {"error": str(error["ctx"]["error"])[keyed.end() :]}}
            message, tip = self.explain(error, path)
            if (message, tip) not in by_path.setdefault(path, []):
                by_path[path].append((message, tip))
        for path, messages in by_path.items():
            if len(messages) == 1:
                self.problem(path, *messages[0])
            else:  # several branches of a union failed: say what each would have needed
                tips = [t for _, t in messages if t]
                self.problem(
                    path, "expected " + " or ".join(m for m, _ in messages), tip=tips[0] if tips else None
                )

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

    def explain(self, error: Any, path: PathKey) -> tuple[str, str | None]:
        kind = error["type"]
        ctx = error.get("ctx") or {}
        key = path[-1] if path else ""
        if kind == "missing":
            return f"required key {key!r} is missing", None
        if kind == "extra_forbidden":
            allowed = _fields_at(path[:-1])
            tip = suggest(str(key), allowed) if allowed else None
            if tip is None and allowed:
                tip = "allowed here: " + ", ".join(sorted(allowed))
            return f"unknown key {key!r}", tip
        if kind in ("literal_error", "enum"):
            expected = str(ctx.get("expected", ""))
            choices = re.findall(r"'([^']*)'", expected)
            given = error.get("input")
            tip = suggest(str(given), choices) if isinstance(given, str) else None
            return f"expected {expected}, got {given!r}", tip
        if kind in ("value_error", "assertion_error"):
            message = str(ctx.get("error", error["msg"]))
            tip = None
            match = re.match(r"cn_purchase has no field '(.+)'", message)
            if match:
                from auditor.scenario.model import PURCHASE_FIELDS

                tip = suggest(match.group(1), [*PURCHASE_FIELDS, "products"]) or (
                    "fields: " + ", ".join([*PURCHASE_FIELDS, "products"])
                )
            return message, tip
        if kind == "too_short":
            return "must not be empty", None
        if kind == "string_too_short":
            return "must not be empty", None
        if kind == "string_pattern_mismatch":
            return (
                f"{error.get('input')!r} is not a valid name",
                "names start with a letter or _ and hold letters, digits and _",
            )
        if kind in ("dict_type", "model_type", "model_attributes_type"):
            return f"expected a mapping (key: value), got {_kind(error.get('input'))}", None
        if kind in ("list_type", "tuple_type"):
            return f"expected a list, got {_kind(error.get('input'))}", "write a YAML list: [a, b] or `- a`"
        if kind in ("bool_type", "bool_parsing"):
            return f"expected true or false, got {error.get('input')!r}", None
        if kind in ("int_type", "int_parsing", "int_from_float"):
            return f"expected a whole number, got {error.get('input')!r}", None
        if kind in ("string_type",):
            return f"expected text, got {_kind(error.get('input'))}", None
        return error["msg"], None

    # ------------------------------------------------------------ {{name}} references

    def check_references(self, scenario: Scenario, raw: dict[str, Any]) -> None:
        defined = {*BUILTIN_NAMES, *scenario.vars, *scenario.secrets, *_captures(scenario)}
        for path, text in _strings(raw, ()):
            if path and path[0] in ("name", "description", "tags"):
                continue
            for match in REF_PATTERN.finditer(text):
                if self.enough():
                    return
                name = match.group(1).strip()
                if not NAME.match(name):
                    self.problem(
                        path,
                        f"{{{{{name}}}}} is not a valid reference",
                        tip="write {{name}} with a name made of letters, digits and _",
                    )
                elif name not in defined:
                    self.problem(
                        path,
                        f"{{{{{name}}}}} is not defined by anything in the scenario",
                        tip=suggest(name, defined)
                        or "define it in vars or secrets, capture it in a step, or use a built-in: "
                        + ", ".join(BUILTIN_NAMES),
                    )

    # ------------------------------------------------------------ all together

    def load(self, base_url: str | None) -> Scenario:
        try:
            self.located = load_yaml(self.path)
        except InputError as exc:
            self.problems = exc.problems
            raise self.error() from None
        raw = self.located.value
        if not isinstance(raw, dict):
            self.problem(
                (),
                f"the top level of a scenario is a mapping, got {_kind(raw)}",
                tip="start with `name: …` and `steps:`",
            )
            raise self.error()
        raw = self.substitute_env(raw, ())
        if base_url:
            raw["base_url"] = base_url
        self.located.value = raw
        shaped = dict(raw)
        if "steps" in shaped:
            shaped["steps"] = self.normalise_steps(shaped["steps"], ("steps",), in_pay=False)
        self.located.value = shaped
        try:
            scenario = Scenario.model_validate(shaped)
        except ValidationError as exc:
            self.report_validation(exc)
            raise self.error() from None
        finally:
            self.located.value = raw
        if self.problems:
            raise self.error()
        if scenario.base_url is None:
            self.problem(
                ("base_url",),
                "base_url is missing",
                tip="add `base_url: https://…` to the scenario or pass --base-url",
            )
        self.check_references(scenario, raw)
        if self.problems:
            raise self.error()
        return scenario


def load_scenario(
    path: Path, *, env: Mapping[str, str] | None = None, base_url: str | None = None
) -> Scenario:
    """Load and validate one scenario file; raises InputError with every problem found."""
    return _Loader(path, os.environ if env is None else env).load(base_url)


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
    ids: dict[str, int] = {}
    for file in find_scenario_files(paths):
        try:
            scenario = load_scenario(file, env=env, base_url=base_url)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", file.stem.lower()).strip("-") or "scenario"
        ids[slug] = ids.get(slug, 0) + 1
        if ids[slug] > 1:
            slug = f"{slug}-{ids[slug]}"
        loaded.append(LoadedScenario(scenario=scenario, file=file, id=slug))
    if problems:
        raise InputError(problems)
    return loaded


# ---------------------------------------------------------------- helpers


def _has(container: Any, part: int | str) -> bool:
    """Does this key or index exist in the raw data?"""
    if isinstance(container, dict):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})" if len(value) < 40 else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _strings(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))
    elif isinstance(value, str):
        yield path, value


def _captures(scenario: Scenario) -> Iterator[str]:
    for step in scenario.steps:
        if step.action == "capture":
            yield step.args.name
        if isinstance(step.args, PayArgs):
            for inner in step.args.steps:
                if inner.action == "capture":
                    yield inner.args.name


def _model_fields(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _fields_at(path: PathKey) -> list[str]:
    """The keys allowed at a user path, for "did you mean" tips."""
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
            field = model.model_fields.get(str(part))
            if field is None:
                field = next((f for f in model.model_fields.values() if f.alias == part), None)
            model = _model_in(field.annotation) if field is not None else None
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
