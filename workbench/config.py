"""Where the workspace lives and what its ``config.toml`` may set.

The workspace directory is, first found: ``--workspace DIR``, ``$SMARTBENCH_HOME``,
then the platform's user data directory for ``smartbench``. Its ``config.toml`` is
optional; every key has a default and command-line flags beat it.

.. code-block:: toml

    [engine]
    memory_limit = "256MiB"   # or a number of bytes
    time_budget = "2s"        # or a number of seconds
    abi_version = 22
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.engine.units import parse_duration, parse_size
from workbench.errors import UsageError

CONFIG_FILE_NAME = "config.toml"
HOME_VARIABLE = "SMARTBENCH_HOME"


@dataclass(frozen=True)
class EngineSettings:
    """The ``[engine]`` table: budgets and protocol for every module run."""

    memory_limit: int | None = None
    """Largest guest memory per chain, in bytes; None keeps the engine's 1 GiB."""
    time_budget: float | None = None
    """Wall-clock seconds per guest call; None keeps the engine's 5 s."""
    abi_version: int | None = None
    """Protocol version passed to modules; None keeps 22, what `smdk test` uses."""


@dataclass(frozen=True)
class WorkspaceConfig:
    """Everything ``config.toml`` can set, with defaults for what it leaves out."""

    engine: EngineSettings = field(default_factory=EngineSettings)
    """How modules run unless a command-line flag says otherwise."""
    path: Path | None = None
    """The file these settings came from, or None when there is none."""


def workspace_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$SMARTBENCH_HOME``, else the user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    from_environment = os.environ.get(HOME_VARIABLE)
    if from_environment:
        return Path(from_environment).expanduser()

    from platformdirs import user_data_dir

    return Path(user_data_dir("smartbench"))


def load_config(workspace: Path) -> WorkspaceConfig:
    """Read ``workspace/config.toml``; a missing file gives the defaults.

    Raises:
        UsageError: the file cannot be read, is not TOML, or a value is wrong;
            the message names the file and the key.
    """
    path = workspace / CONFIG_FILE_NAME
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        return WorkspaceConfig()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from error

    engine_table = document.get("engine", {})
    if not isinstance(engine_table, dict):
        raise UsageError(f"{path}: [engine] must be a table")
    return WorkspaceConfig(engine=_engine_settings(engine_table, path), path=path)


def _engine_settings(table: dict[str, Any], path: Path) -> EngineSettings:
    known = {"memory_limit", "time_budget", "abi_version"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise UsageError(
            f"{path}: unknown key engine.{unknown[0]} "
            f"(known: {', '.join(sorted(known))})"
        )
    return EngineSettings(
        memory_limit=_size_value(table.get("memory_limit"), path),
        time_budget=_duration_value(table.get("time_budget"), path),
        abi_version=_abi_value(table.get("abi_version"), path),
    )


def _size_value(value: object, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        try:
            return parse_size(value)
        except ValueError as error:
            raise UsageError(f"{path}: engine.memory_limit: {error}") from error
    raise UsageError(
        f'{path}: engine.memory_limit must be a size such as "256MiB" or a '
        "positive number of bytes"
    )


def _duration_value(value: object, path: Path) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError as error:
            raise UsageError(f"{path}: engine.time_budget: {error}") from error
        if seconds > 0:
            return seconds
    raise UsageError(
        f'{path}: engine.time_budget must be a duration such as "5s" or a '
        "positive number of seconds"
    )


def _abi_value(value: object, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UsageError(f"{path}: engine.abi_version must be a whole number, e.g. 22")
