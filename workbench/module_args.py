"""The SmartModule flags every module-running command shares, turned into a chain.

`test`, `produce`, `consume` and `watch` all take ``-e``, ``--aggregate-initial``,
``-t``/``--transforms-line``, ``--abi-version``, ``--memory-limit`` and
``--time-budget`` (see ``MODULE_RUN_ARGUMENTS`` in :mod:`workbench.commands`). This
module reads them, fills gaps from the workspace ``config.toml``, finds and loads
each module, and returns the steps and settings :meth:`Chain.build` takes.

A ``uses:`` value is a path when it ends in ``.wasm`` or starts with ``/``, ``./``,
``../`` or ``~`` (relative to the transforms file, or to the current directory for
``--transforms-line``); anything else is a name in the workspace's registry.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from workbench.config import EngineSettings, WorkspaceConfig, load_config, workspace_dir
from workbench.engine.transforms import (
    TransformStep,
    load_transforms_file,
    parse_transform_line,
)
from workbench.engine.types import DEFAULT_ABI_VERSION, Limits, LookbackConfig
from workbench.engine.units import parse_duration, parse_size
from workbench.errors import ModuleLoadError, UsageError

if TYPE_CHECKING:
    from workbench.engine import StepConfig

CHAIN_ONLY_MESSAGE = (
    "-e/--aggregate-initial apply to one module; with -t put them in the step's "
    "with:/initial:"
)
PATH_PREFIXES = ("/", "./", "../", "~")

_T = TypeVar("_T")

ModuleSource = Path | bytes
Resolver = Callable[[str], ModuleSource | None]
"""Finds a registered module by name: its file or bytes, or None when unknown."""


@dataclass(frozen=True)
class ChainPlan:
    """Everything needed to build a chain, decided before any module runs."""

    steps: list[StepConfig]
    abi_version: int
    limits: Limits


MAX_ABI_VERSION = 32767


def parse_params(items: Sequence[str]) -> dict[str, str]:
    """``-e KEY=value`` flags as a dict; the value is everything after the first ``=``.

    Raises:
        UsageError: an item has no ``=``.
    """
    params: dict[str, str] = {}
    for item in items:
        name, found, value = item.partition("=")
        if not found:
            raise UsageError(f"invalid KEY=value: no `=` found in `{item}`")
        if not _is_utf8(item):
            # Params travel as Rust Strings, so bytes that are not UTF-8 cannot.
            shown = os.fsencode(item).decode("utf-8", "backslashreplace")
            raise UsageError(f"invalid KEY=value: `{shown}` is not valid UTF-8")
        params[name] = value
    return params


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def workspace_config(args: argparse.Namespace) -> WorkspaceConfig:
    """The ``config.toml`` of the workspace these arguments point at."""
    return load_config(workspace_dir(getattr(args, "workspace", None)))


def engine_limits(args: argparse.Namespace, settings: EngineSettings) -> Limits:
    """``--memory-limit``/``--time-budget``, else ``[engine]`` settings, else defaults.

    Raises:
        UsageError: a flag's size or duration cannot be read.
    """
    defaults = Limits()
    memory = settings.memory_limit or defaults.memory_bytes
    budget = settings.time_budget or defaults.time_budget

    memory_flag = getattr(args, "memory_limit", None)
    if memory_flag is not None:
        memory = _flag_value("--memory-limit", memory_flag, parse_size)
    budget_flag = getattr(args, "time_budget", None)
    if budget_flag is not None:
        budget = _flag_value("--time-budget", budget_flag, parse_duration)
        if budget <= 0:
            raise UsageError(f"--time-budget: `{budget_flag}` must be more than 0")
    return Limits(memory_bytes=memory, time_budget=budget)


def abi_version(args: argparse.Namespace, settings: EngineSettings) -> int:
    """``--abi-version``, else the workspace setting, else 22."""
    flag: int | None = getattr(args, "abi_version", None)
    version = flag if flag is not None else settings.abi_version
    if version is None:
        return DEFAULT_ABI_VERSION
    # The guest reads the version as an i16; anything else would be garbled.
    if not 0 <= version <= MAX_ABI_VERSION:
        raise UsageError(
            f"--abi-version {version} is out of range: use 0 to {MAX_ABI_VERSION} "
            f"(22 like smdk test, 25 like a cluster)"
        )
    return version


def transform_steps(args: argparse.Namespace) -> list[TransformStep] | None:
    """The chain given by ``-t FILE`` or ``--transforms-line``, None when neither.

    Raises:
        UsageError: both are given, ``-e``/``--aggregate-initial`` come with them,
            or a step cannot be parsed.
    """
    transforms_file: str | None = getattr(args, "transforms", None)
    transform_lines: list[str] = getattr(args, "transforms_line", None) or []
    if transforms_file is None and not transform_lines:
        return None
    if transforms_file is not None and transform_lines:
        raise UsageError(
            "-t/--transforms and --transforms-line cannot be used together"
        )

    has_params = bool(getattr(args, "params", None))
    if has_params or getattr(args, "aggregate_initial", None) is not None:
        raise UsageError(CHAIN_ONLY_MESSAGE)
    if transforms_file is not None:
        return load_transforms_file(Path(transforms_file))
    return [parse_transform_line(line) for line in transform_lines]


def is_path_like(uses: str) -> bool:
    """True when ``uses`` names a file rather than a registered module."""
    return uses.endswith(".wasm") or uses.startswith(PATH_PREFIXES)


def registry_resolver(workspace: Path) -> Resolver:
    """A resolver over the workspace's SmartModule registry."""

    def resolve(name: str) -> ModuleSource | None:
        return _registered_module(workspace, name)

    return resolve


def resolve_uses(uses: str, base_dir: Path, resolver: Resolver) -> ModuleSource:
    """The file or bytes a ``uses:`` value stands for.

    Raises:
        ModuleLoadError: ``smartmodule <uses> not found`` for an unknown name.
    """
    if is_path_like(uses):
        path = Path(uses).expanduser()
        return path if path.is_absolute() else base_dir / path
    return _registered(uses, resolver)


def _registered(name: str, resolver: Resolver) -> ModuleSource:
    found = resolver(name)
    if found is None:
        raise ModuleLoadError(f"smartmodule {name} not found")
    return found


def single_step(
    module: ModuleSource,
    args: argparse.Namespace,
    lookback: LookbackConfig | None = None,
    name: str | None = None,
) -> StepConfig:
    """One module with ``-e`` params and ``--aggregate-initial``, loaded and checked."""
    params = parse_params(getattr(args, "params", None) or [])
    initial_text: str | None = getattr(args, "aggregate_initial", None)
    initial = None if initial_text is None else os.fsencode(initial_text)
    return _step_config(module, name, params, initial, lookback)


def chain_steps(
    steps: Sequence[TransformStep], base_dir: Path, resolver: Resolver
) -> list[StepConfig]:
    """Load every step of a parsed chain, in order."""
    configs = []
    for step in steps:
        source = resolve_uses(step.uses, base_dir, resolver)
        configs.append(
            _step_config(source, step.uses, step.params, step.initial, step.lookback)
        )
    return configs


def plan_chain(
    args: argparse.Namespace,
    module: str | None = None,
    *,
    module_name: str | None = None,
    lookback: LookbackConfig | None = None,
    resolver: Resolver | None = None,
) -> ChainPlan:
    """Steps and settings from the shared flags plus one module (or a chain).

    ``module`` is a single module's path (``--wasm-file``, ``--smartmodule-path``)
    and ``module_name`` a registered one (``--smartmodule``); with
    ``-t``/``--transforms-line`` both must be None.

    Raises:
        UsageError: conflicting or malformed flags, or no module at all.
        ModuleLoadError: a module cannot be loaded, or a name is not registered.
    """
    config = workspace_config(args)
    settings = config.engine
    limits = engine_limits(args, settings)
    version = abi_version(args, settings)

    chain = transform_steps(args)
    single = module is not None or module_name is not None
    if chain is not None and single:
        raise UsageError("give one module or a chain (-t/--transforms-line), not both")
    resolver = resolver or registry_resolver(
        workspace_dir(getattr(args, "workspace", None))
    )

    if chain is not None:
        steps = chain_steps(chain, _chain_base_dir(args), resolver)
    elif module is not None:
        steps = [single_step(Path(module), args, lookback)]
    elif module_name is not None:
        source = _registered(module_name, resolver)
        steps = [single_step(source, args, lookback, name=module_name)]
    else:
        raise UsageError("no module given: name a .wasm file or a chain with -t")
    return ChainPlan(steps=steps, abi_version=version, limits=limits)


def _chain_base_dir(args: argparse.Namespace) -> Path:
    transforms_file: str | None = getattr(args, "transforms", None)
    if transforms_file is None:
        return Path.cwd()
    return Path(transforms_file).expanduser().resolve().parent


def _flag_value(flag: str, text: str, parse: Callable[[str], _T]) -> _T:
    try:
        return parse(text)
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from error


def _step_config(
    source: ModuleSource,
    name: str | None,
    params: dict[str, str],
    initial: bytes | None,
    lookback: LookbackConfig | None,
) -> StepConfig:
    from workbench.engine import StepConfig, load_module

    module = load_module(source, name=name)
    return StepConfig(
        module=module, params=params, initial=initial or b"", lookback=lookback
    )


def _registered_module(workspace: Path, name: str) -> ModuleSource | None:
    # Opening the workspace registers the sample modules on first use, so their
    # names resolve even when a chain is the first thing a user runs.
    from workbench.workspace import Workspace

    opened = Workspace.open(workspace)
    try:
        registry = opened.registry
        return registry.path(name) if registry.exists(name) else None
    finally:
        opened.close()
