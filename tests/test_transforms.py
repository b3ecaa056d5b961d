"""Fluvio's transforms files and `--transforms-line` steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.engine.transforms import (
    TransformStep,
    load_transforms_file,
    parse_humantime,
    parse_transform_line,
    parse_transforms,
)
from workbench.engine.types import LookbackConfig
from workbench.errors import UsageError

FLUVIO_EXAMPLE = """
transforms:
  - uses: infinyon/jolt@0.4.1
    invoke: insert
    lookback:
      last: 10
      age: 12 s
    with:
      spec:
        - operation: default
          spec: { source: "http" }
  - uses: infinyon/regex-filter@0.1.0
    with:
      regex: "[Cc]at"
"""


def test_fluvio_example_parses_with_compact_sorted_json_params() -> None:
    jolt, regex = parse_transforms(FLUVIO_EXAMPLE)
    assert jolt == TransformStep(
        uses="infinyon/jolt@0.4.1",
        params={"spec": '[{"operation":"default","spec":{"source":"http"}}]'},
        lookback=LookbackConfig(last=10, age_seconds=12.0),
    )
    assert regex.params == {"regex": "[Cc]at"}
    assert regex.lookback is None


def test_map_keys_are_sorted_and_unicode_kept() -> None:
    (step,) = parse_transforms(
        "transforms:\n  - uses: x\n    with:\n      m: {z: 1, a: é, m: [true, null]}\n"
    )
    assert step.params == {"m": '{"a":"é","m":[true,null],"z":1}'}


def test_scalars_follow_yaml_core_rules() -> None:
    text = (
        "transforms:\n  - uses: x\n    with:\n"
        "      n: 6\n      f: 4.5\n      t: true\n      on: yes\n"
        "      d: 2024-01-01\n      zero: 007\n      s: '6'\n"
    )
    (step,) = parse_transforms(text)
    assert step.params == {
        "n": "6",
        "f": "4.5",
        "t": "true",
        "on": "yes",
        "d": "2024-01-01",
        "zero": "7",
        "s": "6",
    }


def test_initial_is_our_extension() -> None:
    (step,) = parse_transforms("transforms:\n  - uses: sum.wasm\n    initial: 10\n")
    assert step.initial == b"10"
    assert parse_transforms("transforms:\n  - uses: a\n")[0].initial is None


@pytest.mark.parametrize(
    ("age", "seconds"), [("30m", 1800.0), ("1w", 604800.0), ("1h 30m", 5400.0)]
)
def test_lookback_age_is_humantime(age: str, seconds: float) -> None:
    (step,) = parse_transforms(
        f"transforms:\n  - uses: a\n    lookback: {{age: {age}}}\n"
    )
    assert step.lookback == LookbackConfig(last=0, age_seconds=seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("steps: []", "missing field `transforms`"),
        ("transforms: {uses: a}", "`transforms` must be a list"),
        ("transforms:\n  - with: {a: b}\n", "step 1: missing field `uses`"),
        ("transforms:\n  - uses: a\n  - 3\n", "step 2: a step must be a map"),
        ("transforms:\n  - uses: a\n    with: [1]\n", "`with` must be a map"),
        ("transforms:\n  - uses: a\n    with: {k: }\n", "`with.k` has no value"),
        (
            "transforms:\n  - uses: a\n    lookback: {last: -1}\n",
            "`lookback.last` must be a whole number",
        ),
        (
            "transforms:\n  - uses: a\n    lookback: {age: 5 parsecs}\n",
            "unknown unit `parsecs`",
        ),
    ],
)
def test_bad_documents_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_transforms(text)


def test_file_errors_carry_fluvio_prefix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(UsageError) as caught:
        load_transforms_file(missing)
    assert caught.value.message.startswith("unable to process `transforms` argument: ")
    assert "nope.yaml" in caught.value.message

    broken = tmp_path / "broken.yaml"
    broken.write_text("transforms: [\n")
    with pytest.raises(UsageError, match="unable to process `transforms` argument"):
        load_transforms_file(broken)


def test_a_yaml_error_says_where_the_parser_gave_up_first(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "transforms:\n  - uses: a\n    with:\n      x: 1\n   bad: [\n  - uses: b\n"
    )

    with pytest.raises(UsageError) as caught:
        load_transforms_file(broken)

    message = caught.value.message
    assert "\n" not in message
    assert message.endswith(
        f"{broken}: line 5, column 4: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block collection from line 2)"
    )


def test_transform_line() -> None:
    step = parse_transform_line('{"uses":"a.wasm","with":{"k":{"b":2,"a":1}}}')
    assert step == TransformStep(uses="a.wasm", params={"k": '{"a":1,"b":2}'})

    with pytest.raises(UsageError) as caught:
        parse_transform_line("{uses: a}")
    assert caught.value.message.startswith("unable to parse `transform` argument: ")
    with pytest.raises(UsageError, match="missing field `uses`"):
        parse_transform_line('{"with":{}}')


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("12 s", 12.0), ("500ms", 0.5), ("2 days", 172800.0), ("1h30m", 5400.0)],
)
def test_humantime(text: str, seconds: float) -> None:
    assert parse_humantime(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "it is empty"), ("5", "`5` needs a unit"), ("5 fortnights", "unknown unit")],
)
def test_bad_humantime(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_humantime(text)
