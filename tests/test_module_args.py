"""The shared SmartModule flags: params, budgets, chains and `uses:`."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import wasmtime

from tests.cli.wat_modules import module_wat
from workbench.config import EngineSettings
from workbench.engine.types import Limits
from workbench.errors import ModuleLoadError, UsageError
from workbench.module_args import (
    CHAIN_ONLY_MESSAGE,
    ModuleSource,
    abi_version,
    engine_limits,
    is_path_like,
    parse_params,
    plan_chain,
    resolve_uses,
    transform_steps,
)


def _args(**values: object) -> argparse.Namespace:
    defaults: dict[str, object] = {
        "params": [],
        "aggregate_initial": None,
        "transforms": None,
        "transforms_line": [],
        "abi_version": None,
        "memory_limit": None,
        "time_budget": None,
    }
    return argparse.Namespace(**{**defaults, **values})


def test_params_split_at_the_first_equals() -> None:
    assert parse_params(["a=1", "b=x=y", "c=", "a=2"]) == {
        "a": "2",
        "b": "x=y",
        "c": "",
    }


def test_param_without_equals_uses_fluvio_message() -> None:
    with pytest.raises(UsageError) as caught:
        parse_params(["min_mag"])
    assert caught.value.message == "invalid KEY=value: no `=` found in `min_mag`"


def test_limits_flags_beat_config_which_beats_defaults() -> None:
    assert engine_limits(_args(), EngineSettings()) == Limits()

    settings = EngineSettings(memory_limit=1 << 20, time_budget=2.0)
    assert engine_limits(_args(), settings) == Limits(1 << 20, 2.0)
    flags = _args(memory_limit="64MiB", time_budget="500ms")
    assert engine_limits(flags, settings) == Limits(64 << 20, 0.5)


def test_bad_limit_flags_name_the_flag() -> None:
    with pytest.raises(UsageError, match="--memory-limit: invalid size 'lots'"):
        engine_limits(_args(memory_limit="lots"), EngineSettings())
    with pytest.raises(UsageError, match="--time-budget: invalid duration"):
        engine_limits(_args(time_budget="soon"), EngineSettings())


def test_abi_version_precedence() -> None:
    assert abi_version(_args(), EngineSettings()) == 22
    assert abi_version(_args(), EngineSettings(abi_version=25)) == 25
    assert abi_version(_args(abi_version=23), EngineSettings(abi_version=25)) == 23


def test_no_chain_flags_means_no_chain() -> None:
    assert transform_steps(_args(params=["a=1"])) is None


def test_transform_lines_keep_their_order() -> None:
    lines = ['{"uses":"first.wasm"}', '{"uses":"second","with":{"k":"v"}}']
    steps = transform_steps(_args(transforms_line=lines))
    assert steps is not None
    assert [step.uses for step in steps] == ["first.wasm", "second"]
    assert steps[1].params == {"k": "v"}


@pytest.mark.parametrize("extra", [{"params": ["a=1"]}, {"aggregate_initial": "0"}])
def test_params_and_initial_are_refused_with_a_chain(
    extra: dict[str, object],
) -> None:
    with pytest.raises(UsageError) as caught:
        transform_steps(_args(transforms_line=['{"uses":"a"}'], **extra))
    assert caught.value.message == CHAIN_ONLY_MESSAGE


def test_file_and_lines_together_are_refused(tmp_path: Path) -> None:
    args = _args(transforms=str(tmp_path / "t.yaml"), transforms_line=['{"uses":"a"}'])
    with pytest.raises(UsageError, match="cannot be used together"):
        transform_steps(args)


@pytest.mark.parametrize(
    ("uses", "path_like"),
    [
        ("filter.wasm", True),
        ("/abs/module", True),
        ("./here", True),
        ("../up", True),
        ("~/home.bin", True),
        ("quake-filter", False),
        ("infinyon/jolt@0.4.1", False),
    ],
)
def test_path_like(uses: str, path_like: bool) -> None:
    assert is_path_like(uses) is path_like


def test_resolve_uses(tmp_path: Path) -> None:
    registered: dict[str, ModuleSource] = {"known": b"\0asm"}
    resolve = registered.get

    assert resolve_uses("m.wasm", tmp_path, resolve) == tmp_path / "m.wasm"
    assert resolve_uses("../m", tmp_path, resolve) == tmp_path / "../m"
    assert resolve_uses("/x/m.wasm", tmp_path, resolve) == Path("/x/m.wasm")
    assert resolve_uses("~/m.wasm", tmp_path, resolve) == Path.home() / "m.wasm"
    assert resolve_uses("known", tmp_path, resolve) == b"\0asm"
    with pytest.raises(ModuleLoadError) as caught:
        resolve_uses("wrong", tmp_path, resolve)
    assert caught.value.message == "smartmodule wrong not found"


@pytest.fixture
def uppercase_wasm(tmp_path: Path) -> Path:
    path = tmp_path / "uppercase.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(module_wat("uppercase"))))
    return path


def test_plan_for_one_module_path(uppercase_wasm: Path) -> None:
    args = _args(
        params=["k=v"], aggregate_initial="7", abi_version=25, memory_limit="8MiB"
    )
    plan = plan_chain(args, str(uppercase_wasm))
    (step,) = plan.steps
    assert step.module.info.name == "uppercase.wasm"
    assert step.params == {"k": "v"}
    assert step.initial == b"7"
    assert plan.abi_version == 25
    assert plan.limits == Limits(memory_bytes=8 << 20)


def test_plan_for_a_registered_name(uppercase_wasm: Path) -> None:
    registered = {"shout": uppercase_wasm}
    plan = plan_chain(_args(), module_name="shout", resolver=registered.get)
    assert [step.module.info.name for step in plan.steps] == ["shout"]

    with pytest.raises(ModuleLoadError, match="smartmodule whisper not found"):
        plan_chain(_args(), module_name="whisper", resolver=registered.get)


def test_plan_needs_a_module_or_a_chain(uppercase_wasm: Path) -> None:
    with pytest.raises(UsageError, match="no module given"):
        plan_chain(_args())
    chain = _args(transforms_line=[f'{{"uses":"{uppercase_wasm}"}}'])
    with pytest.raises(UsageError, match="give one module or a chain"):
        plan_chain(chain, str(uppercase_wasm))
    assert len(plan_chain(chain).steps) == 1
