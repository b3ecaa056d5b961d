"""Workspace location and `config.toml`."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import EngineSettings, load_config, workspace_dir
from workbench.errors import UsageError


def test_workspace_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBENCH_HOME", str(tmp_path / "from-env"))
    assert workspace_dir(tmp_path / "flag") == tmp_path / "flag"
    assert workspace_dir(None) == tmp_path / "from-env"

    monkeypatch.delenv("SMARTBENCH_HOME")
    assert workspace_dir(None).name == "smartbench"


def test_missing_config_gives_defaults(workspace: Path) -> None:
    config = load_config(workspace)
    assert config.engine == EngineSettings()
    assert config.path is None


def test_engine_table(workspace: Path) -> None:
    (workspace / "config.toml").write_text(
        '[engine]\nmemory_limit = "64MiB"\ntime_budget = "500ms"\nabi_version = 25\n'
    )
    assert load_config(workspace).engine == EngineSettings(
        memory_limit=64 << 20, time_budget=0.5, abi_version=25
    )

    (workspace / "config.toml").write_text(
        "[engine]\nmemory_limit = 1000000\ntime_budget = 2\n"
    )
    assert load_config(workspace).engine == EngineSettings(
        memory_limit=1_000_000, time_budget=2.0
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[engine", "is not valid TOML"),
        ("engine = 3", r"\[engine\] must be a table"),
        ('[engine]\nmemory_limit = "lots"', "engine.memory_limit: invalid size"),
        ("[engine]\nmemory_limit = -1", "engine.memory_limit must be a size"),
        ("[engine]\ntime_budget = 0", "engine.time_budget must be a duration"),
        (
            '[engine]\ntime_budget = "5 fortnights"',
            "engine.time_budget: invalid duration",
        ),
        ('[engine]\nabi_version = "22"', "engine.abi_version must be a whole number"),
        ("[engine]\nmemory = 5", "unknown key engine.memory"),
    ],
)
def test_bad_config_names_file_and_key(
    workspace: Path, text: str, message: str
) -> None:
    (workspace / "config.toml").write_text(text)
    with pytest.raises(UsageError, match=message) as caught:
        load_config(workspace)
    assert str(workspace / "config.toml") in caught.value.message
