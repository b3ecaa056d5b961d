"""The SmartModule registry and the `smartmodule` (`sm`) commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunSmartbench
from workbench.engine.registry import Registry, module_source
from workbench.engine.types import ModuleKind
from workbench.errors import ModuleLoadError, NotFoundError, UsageError
from workbench.workspace import Workspace

SAMPLES = REPO_ROOT / "sample_modules"


@pytest.fixture
def module_copy(tmp_path: Path) -> Path:
    """A sample module in a project folder whose SmartModule.toml sits above it."""
    project = tmp_path / "my-filter"
    target = project / "target" / "wasm32-wasip1" / "release"
    target.mkdir(parents=True)
    (project / "SmartModule.toml").write_text(
        '[package]\nname = "my-filter"\ngroup = "me"\nversion = "0.1.0"\n'
        'description = "keeps a"\n\n'
        '[[params]]\nname = "needle"\ndescription = "what to look for"\n'
        "optional = true\n"
    )
    wasm = target / "my_filter.wasm"
    shutil.copy(SAMPLES / "tpl-filter.wasm", wasm)
    return wasm


def test_create_stores_a_copy_and_reads_smartmodule_toml(
    workspace: Path, module_copy: Path
) -> None:
    registry = Registry.open(workspace)

    created = registry.create("my-filter", module_copy)
    module_copy.unlink()

    assert created.kind == "filter" and created.size > 0
    assert created.path.is_file() and created.path.is_relative_to(workspace)
    assert created.package is not None
    assert [p.name for p in created.package.params] == ["needle"]
    assert created.description == "keeps a"
    loaded = registry.load("my-filter")
    assert loaded.kind is ModuleKind.FILTER and loaded.name == "my-filter"
    assert module_source(workspace, "my-filter") == created.path
    assert module_source(workspace, "nothing") is None


def test_existing_name_needs_replace(workspace: Path, module_copy: Path) -> None:
    registry = Registry.open(workspace)
    registry.create("twice", module_copy)

    with pytest.raises(Exception, match="already exists; use --replace"):
        registry.create("twice", SAMPLES / "tpl-map.wasm")
    replaced = registry.create("twice", SAMPLES / "tpl-map.wasm", replace=True)

    assert replaced.kind == "map"
    assert len(list((workspace / "modules").iterdir())) == 1


def test_create_refuses_files_that_are_not_smartmodules(
    workspace: Path, tmp_path: Path
) -> None:
    registry = Registry.open(workspace)
    empty = tmp_path / "empty.wasm"
    empty.write_bytes(b"")
    text = tmp_path / "text.wasm"
    text.write_text("hello")

    for path in (empty, text, tmp_path / "missing.wasm"):
        with pytest.raises(ModuleLoadError):
            registry.create("bad", path)
    with pytest.raises(UsageError, match="Invalid name for SmartModule"):
        registry.create("Bad_Name", SAMPLES / "tpl-map.wasm")
    assert registry.list() == []


def test_source_changed_compares_the_file_with_the_copy(
    workspace: Path, module_copy: Path
) -> None:
    registry = Registry.open(workspace)
    registry.create("watched", module_copy)

    before = registry.source_changed("watched")
    shutil.copy(SAMPLES / "tpl-map.wasm", module_copy)

    assert before is False
    assert registry.source_changed("watched") is True
    assert registry.load("watched").kind is ModuleKind.FILTER


def test_unknown_names(workspace: Path) -> None:
    registry = Registry.open(workspace)

    with pytest.raises(NotFoundError, match=r"^SmartModule ghost was not found$"):
        registry.load("ghost")
    with pytest.raises(NotFoundError, match=r"^SmartModule not found$"):
        registry.delete("ghost")


def test_sm_commands_end_to_end(
    run_smartbench: RunSmartbench, module_copy: Path
) -> None:
    empty = run_smartbench("sm", "list")
    created = run_smartbench("sm", "create", "keep-a", "--wasm-file", module_copy)
    duplicate = run_smartbench(
        "smartmodule", "create", "keep-a", "--wasm-file", module_copy
    )
    module_copy.write_bytes(b"\0asm rebuilt")
    listed = run_smartbench("sm", "list")
    described = run_smartbench("sm", "describe", "keep-a")
    deleted = run_smartbench("sm", "delete", "keep-a")
    missing = run_smartbench("sm", "delete", "keep-a")

    assert empty.stdout.decode() == "no smartmodules\n"
    assert created.stdout.decode() == 'smartmodule "keep-a" has been created.\n'
    assert duplicate.returncode == 1
    header, row = listed.stdout.decode().splitlines()
    assert header.split()[:2] == ["SMARTMODULE", "SIZE"]
    assert row.split()[0] == "keep-a" and row.split()[2] == "KB"
    assert row.endswith("source changed")
    text = described.stdout.decode()
    assert "kind:        filter" in text
    assert "needle (optional): what to look for" in text
    assert "package:     me/my-filter@0.1.0" in text
    assert deleted.stdout.decode() == 'smartmodule "keep-a" deleted\n'
    assert missing.returncode == 1
    assert missing.stderr.decode().strip() == "SmartModule not found"


def test_create_of_an_empty_file_is_a_load_error(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.wasm"
    empty.write_bytes(b"")

    result = run_smartbench("sm", "create", "empty", "--wasm-file", empty)

    assert result.returncode == 2
    assert "file is empty" in result.stderr.decode()


def test_delete_continue_on_error(run_smartbench: RunSmartbench) -> None:
    run_smartbench("sm", "create", "one", "--wasm-file", SAMPLES / "tpl-map.wasm")

    result = run_smartbench("sm", "delete", "-c", "ghost", "one")

    assert result.returncode == 1
    assert result.stdout.decode() == 'smartmodule "one" deleted\n'
    assert 'smart module "ghost" delete failed with: SmartModule not found' in (
        result.stderr.decode()
    )


def test_describe_unknown(run_smartbench: RunSmartbench) -> None:
    result = run_smartbench("sm", "describe", "ghost")

    assert result.returncode == 1
    assert result.stderr.decode().strip() == "SmartModule ghost was not found"


def test_sample_workspace_registers_the_sample_modules(workspace: Path) -> None:
    opened = Workspace.open(workspace, samples=True)

    names = {module.name for module in opened.registry.list()}
    topics = {t.name: t.records for t in opened.broker.list_topics()}

    assert {"quake-filter", "quake-split", "max-temp", "tpl-map"} <= names
    assert topics == {
        "earthquakes-raw": 1,
        "earthquakes": 1707,
        "seattle-weather": 1461,
        "flights": 2000,
    }
    earthquakes = opened.broker.read_records("earthquakes", 0, 0, 1)[0]
    feature = json.loads(earthquakes.value)
    assert earthquakes.key == feature["id"].encode()
    assert earthquakes.timestamp == feature["properties"]["time"]
    weather = opened.broker.read_records("seattle-weather", 0, 0, 1)[0]
    assert weather.value == b"2012-01-01,0.0,12.8,5.0,4.7,drizzle"
    assert weather.timestamp == 1325376000000
    flight = opened.broker.read_records("flights", 0, 0, 1)[0]
    assert flight.key == b"LAX" and flight.timestamp == 978332100000


def test_list_marks_a_source_file_that_is_gone(
    run_smartbench: RunSmartbench, module_copy: Path
) -> None:
    run_smartbench("sm", "create", "orphan", "--wasm-file", module_copy)
    module_copy.unlink()

    listed = run_smartbench("sm", "list")

    row = listed.stdout.decode().splitlines()[1]
    assert row.startswith("orphan")
    assert row.endswith("source missing")
