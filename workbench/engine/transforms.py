"""Fluvio's transforms lists: a chain of modules as YAML (``-t``) or JSON steps.

A file looks like Fluvio's::

    transforms:
      - uses: quake-filter          # a registered name, or a path to a .wasm
        with: {min_mag: "6"}        # init params
        lookback: {last: 10, age: 30m}
      - uses: ./quake-line.wasm
        initial: "0"                # smartbench's addition: an aggregate's start

``--transforms-line`` takes one step as a JSON object. Parsing is pure: no file
named by ``uses:`` is opened here, so the caller decides how names resolve.

``with:`` values become string params the way Fluvio makes them: a string stays as
it is, a map or list becomes compact JSON with sorted keys. Fluvio refuses other
scalars; smartbench passes numbers and ``true``/``false`` as their JSON spelling
(``min_mag: 6`` gives ``"6"``) because YAML writers type them unquoted all the
time, and refuses only a missing value. YAML is read with the 1.2 core rules
Fluvio's parser follows: ``yes``, ``on`` or ``2024-01-01`` stay strings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.engine.types import LookbackConfig
from workbench.errors import UsageError

FILE_ERROR_PREFIX = "unable to process `transforms` argument"
LINE_ERROR_PREFIX = "unable to parse `transform` argument"

_MINUTE = 60.0
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
# humantime's month and year are 30.44 and 365.25 days.
_DURATION_UNITS = {
    **dict.fromkeys(("nsec", "ns"), 1e-9),
    **dict.fromkeys(("usec", "us", "µs"), 1e-6),
    **dict.fromkeys(("millis", "msec", "ms"), 1e-3),
    **dict.fromkeys(("seconds", "second", "secs", "sec", "s"), 1.0),
    **dict.fromkeys(("minutes", "minute", "mins", "min", "m"), _MINUTE),
    **dict.fromkeys(("hours", "hour", "hrs", "hr", "h"), _HOUR),
    **dict.fromkeys(("days", "day", "d"), _DAY),
    **dict.fromkeys(("weeks", "week", "w"), 7 * _DAY),
    **dict.fromkeys(("months", "month", "M"), 30.44 * _DAY),
    **dict.fromkeys(("years", "year", "y"), 365.25 * _DAY),
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-zµ]*)\s*")


@dataclass(frozen=True)
class TransformStep:
    """One parsed step of a chain, before its module is found and loaded."""

    uses: str
    """A registered name, or a path when it looks like one."""
    params: dict[str, str] = field(default_factory=dict)
    """Params for ``init``, from ``with:``."""
    initial: bytes | None = None
    """An aggregate's starting accumulator, from ``initial:``."""
    lookback: LookbackConfig | None = None
    """History for ``look_back``, from ``lookback:``."""


class TransformsFormatError(ValueError):
    """A transforms document is well-formed YAML/JSON but not a valid chain."""


class _CoreSchemaLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core scalars instead of 1.1's."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

_CoreSchemaLoader.yaml_implicit_resolvers = {
    first: [
        (tag, pattern)
        for tag, pattern in resolvers
        if tag not in (_BOOL_TAG, _INT_TAG, _TIMESTAMP_TAG)
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CoreSchemaLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreSchemaLoader.add_implicit_resolver(
    _INT_TAG, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)


def _construct_decimal_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    # YAML 1.1 reads a leading zero as octal; 1.2 and Fluvio read decimal.
    text = loader.construct_scalar(node)  # type: ignore[arg-type]
    return int(str(text), 10)


_CoreSchemaLoader.add_constructor(_INT_TAG, _construct_decimal_int)


def load_transforms_file(path: Path) -> list[TransformStep]:
    """Read a transforms file (``transforms: - uses: …``).

    Raises:
        UsageError: ``unable to process `transforms` argument: <why>``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        raise UsageError(
            f"{FILE_ERROR_PREFIX}: cannot read {path}: {reason}"
        ) from error
    except UnicodeDecodeError as error:
        raise UsageError(f"{FILE_ERROR_PREFIX}: {path} is not UTF-8 text") from error

    try:
        return parse_transforms(text)
    except yaml.MarkedYAMLError as error:
        problem = yaml_problem(error)
        raise UsageError(f"{FILE_ERROR_PREFIX}: {path}: {problem}") from error
    except (yaml.YAMLError, TransformsFormatError, ValueError) as error:
        raise UsageError(f"{FILE_ERROR_PREFIX}: {path}: {error}") from error


def yaml_problem(error: yaml.MarkedYAMLError) -> str:
    """One line that starts where the parser gave up, then what it was reading.

    PyYAML's own text names the start of the enclosing block first and repeats the
    source lines, so the place to fix comes last and is cut off in a small dialog.
    """
    where = error.problem_mark or error.context_mark
    parts = []
    if where is not None:
        parts.append(f"line {where.line + 1}, column {where.column + 1}:")
    parts.append(error.problem or error.context or "not valid YAML")
    if error.context and error.context_mark is not None and error.problem:
        parts.append(f"({error.context} from line {error.context_mark.line + 1})")
    return " ".join(parts)


def parse_transforms(text: str) -> list[TransformStep]:
    """Parse a transforms document; raises ``yaml.YAMLError`` or ``ValueError``."""
    document = yaml.load(text, Loader=_CoreSchemaLoader)
    if document is None:
        raise TransformsFormatError("the file is empty; expected `transforms:`")
    if not isinstance(document, dict) or "transforms" not in document:
        raise TransformsFormatError("missing field `transforms` (a list of steps)")

    steps = document["transforms"]
    if steps is None:
        return []
    if not isinstance(steps, list):
        raise TransformsFormatError("`transforms` must be a list of steps")
    return [_step(raw, f"step {number}: ") for number, raw in enumerate(steps, 1)]


def parse_transform_line(text: str) -> TransformStep:
    """Parse one ``--transforms-line`` JSON step.

    Raises:
        UsageError: ``unable to parse `transform` argument: <why>``.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{LINE_ERROR_PREFIX}: {error} in {text!r}") from error

    try:
        return _step(raw, "")
    except ValueError as error:
        raise UsageError(f"{LINE_ERROR_PREFIX}: {error} in {text!r}") from error


def parse_humantime(text: str) -> float:
    """Seconds in a humantime duration: ``30m``, ``12 s``, ``1w``, ``1h 30m``."""
    stripped = text.strip()
    total = 0.0
    position = 0
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        if match is None:
            raise ValueError(_duration_message(text, "expected a number"))
        number, unit = match.groups()
        if not unit:
            raise ValueError(_duration_message(text, f"`{number}` needs a unit"))
        if unit not in _DURATION_UNITS:
            raise ValueError(_duration_message(text, f"unknown unit `{unit}`"))
        total += float(number) * _DURATION_UNITS[unit]
        position = match.end()

    if not stripped:
        raise ValueError(_duration_message(text, "it is empty"))
    return total


def param_text(name: str, value: object) -> str:
    """One ``with:`` value as the string param the module receives."""
    return _value_text(f"with.{name}", value)


def _value_text(label: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise TransformsFormatError(f"`{label}` has no value")
    if isinstance(value, dict | list):
        try:
            return json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
        except TypeError as error:
            raise TransformsFormatError(f"`{label}`: {error}") from error
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise TransformsFormatError(
        f"`{label}` must be a string, a number, a map or a list"
    )


def _step(raw: Any, where: str) -> TransformStep:
    # Unknown keys are ignored, as Fluvio does, so files written for it still load.
    if not isinstance(raw, dict):
        raise TransformsFormatError(f"{where}a step must be a map with `uses`")
    uses = raw.get("uses")
    if not isinstance(uses, str) or not uses.strip():
        raise TransformsFormatError(
            f"{where}missing field `uses`"
            if uses is None
            else f"{where}`uses` must be a module name or a path"
        )

    try:
        return TransformStep(
            uses=uses.strip(),
            params=_params(raw.get("with")),
            initial=_initial(raw.get("initial"), "initial" in raw),
            lookback=_lookback(raw.get("lookback")),
        )
    except ValueError as error:
        raise TransformsFormatError(f"{where}{error}") from error


def _params(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TransformsFormatError("`with` must be a map of names to values")
    params: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str):
            raise TransformsFormatError(f"`with` names must be strings, not {name!r}")
        params[name] = param_text(name, value)
    return params


def _initial(raw: object, present: bool) -> bytes | None:
    if not present:
        return None
    if raw is None:
        return b""
    if isinstance(raw, dict | list):
        raise TransformsFormatError("`initial` must be a string")
    return _value_text("initial", raw).encode("utf-8")


def _lookback(raw: object) -> LookbackConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TransformsFormatError("`lookback` must be a map with `last` and/or `age`")

    last = raw.get("last", 0)
    if isinstance(last, bool) or not isinstance(last, int) or last < 0:
        raise TransformsFormatError("`lookback.last` must be a whole number ≥ 0")

    age = raw.get("age")
    if age is None:
        return LookbackConfig(last=last)
    if not isinstance(age, str):
        raise TransformsFormatError(
            '`lookback.age` must be a duration such as "30m" or "12 s"'
        )
    return LookbackConfig(last=last, age_seconds=_age_seconds(age))


def _age_seconds(text: str) -> float:
    try:
        return parse_humantime(text)
    except ValueError as error:
        raise TransformsFormatError(f"`lookback.age`: {error}") from error


def _duration_message(text: str, reason: str) -> str:
    return f"invalid duration `{text}`: {reason} (e.g. 30m, 12 s, 1w, 1h 30m)"
