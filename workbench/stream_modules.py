"""SmartModule flags of `produce` and `consume`, turned into a chain plan.

Besides the flags every module-running command shares (``-e``, ``--a-init``,
``-t``, ``--transforms-line``, budgets), these commands name a module the way
Fluvio's do: ``--smartmodule NAME`` (registered), ``--smartmodule-path PATH``, or
a legacy ``--filter/--map/--filter-map/--array-map/--aggregate`` that takes a path
when such a file exists, else a registered name, and also checks that the module
is of that kind. ``--initial FILE`` reads an aggregate's start value from a file.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.errors import ModuleLoadError, NotFoundError, UsageError
from workbench.module_args import (
    ChainPlan,
    ModuleSource,
    abi_version,
    chain_steps,
    engine_limits,
    single_step,
    transform_steps,
    workspace_config,
)
from workbench.workspace import Workspace

if TYPE_CHECKING:
    from workbench.engine.chain import Chain, LookbackSource, StepConfig

LEGACY_KIND_FLAGS = (
    ("filter", "filter"),
    ("map", "map"),
    ("filter_map", "filter-map"),
    ("array_map", "array-map"),
    ("aggregate", "aggregate"),
)
"""``(argparse dest, kind)`` of each legacy per-kind flag."""


@dataclasses.dataclass(frozen=True)
class _ModuleChoice:
    source: ModuleSource
    name: str
    expected_kind: str | None = None


def module_plan(args: argparse.Namespace, workspace: Workspace) -> ChainPlan | None:
    """The chain the flags ask for, loaded and checked; None when there is none.

    Raises:
        UsageError: Conflicting flags, or ``-e``/``--a-init`` without a module.
        NotFoundError: ``SmartModule <name> was not found``.
        ModuleLoadError: A module file is missing, invalid or of the wrong kind.
    """
    choice = _single_module(args, workspace)
    chain = transform_steps(args)
    if choice is not None and chain is not None:
        raise UsageError(
            "--smartmodule/--smartmodule-path and -t/--transforms-line cannot be "
            "used together"
        )
    if choice is None and chain is None:
        _refuse_orphan_module_flags(args)
        return None

    settings = workspace_config(args).engine
    limits = engine_limits(args, settings)
    version = abi_version(args, settings)
    if chain is not None:
        base_dir = (
            Path(args.transforms).expanduser().resolve().parent
            if (getattr(args, "transforms", None))
            else Path.cwd()
        )
        steps = chain_steps(chain, base_dir, _resolver(workspace))
    else:
        assert choice is not None
        steps = [_single_step(args, choice)]
    return ChainPlan(steps=steps, abi_version=version, limits=limits)


def chain_builder(
    plan: ChainPlan, lookback_source: Callable[[int], LookbackSource | None]
) -> Callable[[int], Chain]:
    """A function building the plan's chain for one partition."""

    def build(partition: int) -> Chain:
        from workbench.engine.chain import Chain

        return Chain.build(
            plan.steps,
            abi_version=plan.abi_version,
            limits=plan.limits,
            lookback_source=lookback_source(partition),
        )

    return build


def _single_module(
    args: argparse.Namespace, workspace: Workspace
) -> _ModuleChoice | None:
    name: str | None = getattr(args, "smartmodule", None)
    path: str | None = getattr(args, "smartmodule_path", None)
    legacy = [
        (kind, value)
        for dest, kind in LEGACY_KIND_FLAGS
        if (value := getattr(args, dest, None)) is not None
    ]
    if (name is not None) + (path is not None) + len(legacy) > 1:
        raise UsageError(
            "give one module: --smartmodule, --smartmodule-path or one of "
            "--filter/--map/--filter-map/--array-map/--aggregate"
        )

    if name is not None:
        return _ModuleChoice(_registered(workspace, name), name)
    if path is not None:
        return _ModuleChoice(Path(path).expanduser(), Path(path).name)
    if legacy:
        kind, value = legacy[0]
        return _legacy_choice(workspace, value, kind)
    return None


def _legacy_choice(workspace: Workspace, value: str, kind: str) -> _ModuleChoice:
    # As in Fluvio 0.9: a path when such a file exists, else a registered name.
    path = Path(value).expanduser()
    if path.is_file():
        return _ModuleChoice(path, path.name, kind)
    if value.endswith(".wasm") or "/" in value:
        raise ModuleLoadError(f"{value}: no such file")
    return _ModuleChoice(_registered(workspace, value), value, kind)


def _registered(workspace: Workspace, name: str) -> Path:
    registry = workspace.registry
    if not registry.exists(name):
        raise NotFoundError(f"SmartModule {name} was not found")
    return registry.path(name)


def _resolver(workspace: Workspace) -> Callable[[str], ModuleSource | None]:
    def resolve(name: str) -> ModuleSource | None:
        return _registered(workspace, name)

    return resolve


def _single_step(args: argparse.Namespace, choice: _ModuleChoice) -> StepConfig:
    initial_file: str | None = getattr(args, "initial", None)
    if initial_file is not None and getattr(args, "aggregate_initial", None):
        raise UsageError("--initial and --aggregate-initial cannot be used together")
    step = single_step(choice.source, args, None, choice.name)

    if initial_file is not None:
        try:
            initial = Path(initial_file).read_bytes()
        except OSError as error:
            raise UsageError(f"--initial: {initial_file}: {error.strerror}") from None
        step = dataclasses.replace(step, initial=initial)
    kind = step.module.kind.value
    if choice.expected_kind is not None and kind != choice.expected_kind:
        expected = choice.expected_kind
        raise ModuleLoadError(
            f"not a valid '{expected}' SmartModule: {choice.name} is a {kind} "
            f"module (missing #[smartmodule({expected.replace('-', '_')})]?)"
        )
    return step


def _refuse_orphan_module_flags(args: argparse.Namespace) -> None:
    if getattr(args, "params", None):
        raise UsageError("-e/--params needs --smartmodule or --smartmodule-path")
    if getattr(args, "aggregate_initial", None) is not None:
        raise UsageError(
            "--aggregate-initial needs --smartmodule or --smartmodule-path"
        )
    if getattr(args, "initial", None) is not None:
        raise UsageError("--initial needs an aggregate module (--aggregate)")
