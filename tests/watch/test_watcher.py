"""ModuleWatcher on real files: swaps, half-written files, builds, queueing, stop."""

from __future__ import annotations

import hashlib
import shlex
import sys
import threading
from pathlib import Path

from tests.watch.conftest import EventReader, write_atomically
from tests.watch.wat_modules import (
    LOWERCASE,
    filter_module,
    filter_text,
    map_module,
)
from workbench.engine.module import LoadedModule
from workbench.engine.types import ModuleKind
from workbench.engine.watch import (
    BuildConfig,
    BuildFailed,
    BuildQueued,
    BuildStarted,
    BuildSucceeded,
    ModuleWatcher,
    Reloaded,
    ReloadFailed,
    WatchStarted,
    default_source_dir,
    is_source_change,
    read_settled,
    source_watch_roots,
)
from workbench.engine.window import load_watched_module


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _watch(
    path: Path, readers: list[EventReader], build: BuildConfig | None = None
) -> EventReader:
    watcher: ModuleWatcher[LoadedModule] = ModuleWatcher(
        path, load_watched_module, build=build
    )
    reader = EventReader(watcher)
    readers.append(reader)
    started = reader.next()
    assert isinstance(started, WatchStarted)
    return reader


def test_replacing_a_map_with_a_filter_swaps_the_kind(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    path = tmp_path / "module.wasm"
    path.write_bytes(map_module())
    reader = _watch(path, readers)

    new_bytes = filter_module()
    write_atomically(path, new_bytes)
    reloaded = reader.next_of(Reloaded)

    assert reloaded.info.kind is ModuleKind.FILTER
    assert reloaded.info.sha256 == _sha(new_bytes)
    assert reloaded.latency_ms > 0
    assert reader.watcher.current is not None
    assert reader.watcher.current.info.sha256 == _sha(new_bytes)


def test_a_changed_module_of_the_same_kind_is_swapped_in(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    path = tmp_path / "module.wasm"
    path.write_bytes(map_module())
    reader = _watch(path, readers)

    changed = map_module(LOWERCASE, tag="v2")
    write_atomically(path, changed)
    reloaded = reader.next_of(Reloaded)

    assert reloaded.info.kind is ModuleKind.MAP
    assert reloaded.info.sha256 == _sha(changed)
    assert reloaded.info.size == len(changed)


def test_a_half_written_file_keeps_the_old_module_until_the_rest_lands(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    path = tmp_path / "module.wasm"
    old = map_module()
    path.write_bytes(old)
    reader = _watch(path, readers)
    new = filter_module(tag="second")

    with path.open("wb") as file:
        file.write(new[: len(new) // 2])
        file.flush()
        failed = reader.next_of(ReloadFailed)

        assert failed.old_sha == _sha(old)
        assert reader.watcher.current is not None
        assert reader.watcher.current.info.sha256 == _sha(old)
        assert not any(isinstance(event, Reloaded) for event in reader.seen)

        file.write(new[len(new) // 2 :])
    reloaded = reader.next_of(Reloaded)

    assert reloaded.info.sha256 == _sha(new)


def test_a_file_changing_while_it_is_read_is_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "module.wasm"
    path.write_bytes(b"first half")

    def read_while_writing(target: Path) -> bytes:
        data = target.read_bytes()
        with target.open("ab") as file:
            file.write(b" and the rest")
        return data

    assert read_settled(path, read_while_writing) is None
    settled = read_settled(path)
    assert settled is not None
    assert settled[0] == b"first half and the rest"


def test_a_missing_file_is_not_settled(tmp_path: Path) -> None:
    assert read_settled(tmp_path / "absent.wasm") is None


WAT2WASM = (
    f"{shlex.quote(sys.executable)} -c "
    '\'import sys, wasmtime; open(sys.argv[2], "wb").write('
    "wasmtime.wat2wasm(open(sys.argv[1]).read()))'"
)


def _wat_project(tmp_path: Path) -> tuple[Path, Path]:
    source_dir = tmp_path / "project"
    source_dir.mkdir()
    (source_dir / "build.sh").write_text(
        f"set -e\n{WAT2WASM} module.wat out.tmp\nmv out.tmp ../module.wasm\n"
    )
    return source_dir, tmp_path / "module.wasm"


def test_a_failing_build_keeps_the_module_and_a_fixed_one_reloads(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    source_dir, module_path = _wat_project(tmp_path)
    module_path.write_bytes(map_module())
    build = BuildConfig(
        command="sh build.sh",
        source_dir=source_dir,
        log_path=tmp_path / "logs" / "build.log",
        cwd=source_dir,
    )
    reader = _watch(module_path, readers, build)
    old_sha = _sha(module_path.read_bytes())

    (source_dir / "module.wat").write_text("(module (func $broken")
    assert isinstance(reader.next(), BuildStarted)
    failed = reader.next_of(BuildFailed)

    assert failed.reason == "build exited with status 1"
    assert any("expected" in line or "error" in line for line in failed.tail)
    assert reader.watcher.current is not None
    assert reader.watcher.current.info.sha256 == old_sha

    (source_dir / "module.wat").write_text(filter_text(tag="built"))
    reader.next_of(BuildSucceeded)
    reloaded = reader.next_of(Reloaded)

    assert reloaded.info.kind is ModuleKind.FILTER
    assert build.log_path.read_text().count("$ sh build.sh\n") >= 2


def test_a_hung_build_is_killed_at_its_timeout(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    module_path = tmp_path / "module.wasm"
    module_path.write_bytes(map_module())
    build = BuildConfig(
        command="echo compiling; sleep 60",
        source_dir=source_dir,
        log_path=tmp_path / "build.log",
        timeout=0.5,
    )
    reader = _watch(module_path, readers, build)

    (source_dir / "lib.c").write_text("int x;")
    failed = reader.next_of(BuildFailed)

    assert failed.reason == "build killed after 0.5 s"
    assert failed.tail == ("compiling",)


def test_changes_during_a_build_queue_exactly_one_more(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    gate = tmp_path / "gate"
    runs = tmp_path / "runs"
    module_path = tmp_path / "module.wasm"
    module_path.write_bytes(map_module())
    build = BuildConfig(
        command=f"echo run >> {runs}; while [ ! -e {gate} ]; do sleep 0.02; done",
        source_dir=source_dir,
        log_path=tmp_path / "build.log",
    )
    reader = _watch(module_path, readers, build)

    (source_dir / "a.c").write_text("1")
    reader.next_of(BuildStarted)
    (source_dir / "a.c").write_text("2")
    reader.next_of(BuildQueued)
    (source_dir / "b.c").write_text("3")
    reader.next_of(BuildQueued)
    gate.touch()

    reader.next_of(BuildSucceeded)
    assert isinstance(reader.next(), BuildStarted)
    reader.next_of(BuildSucceeded)

    assert not reader.watcher.build_queued
    assert runs.read_text() == "run\nrun\n"


def test_a_build_writing_into_its_sources_does_not_rebuild_for_ever(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    module_path = tmp_path / "module.wasm"
    module_path.write_bytes(map_module())
    build = BuildConfig(
        command="date +%Y > generated.h",
        source_dir=source_dir,
        log_path=tmp_path / "build.log",
        cwd=source_dir,
    )
    reader = _watch(module_path, readers, build)

    (source_dir / "a.c").write_text("1")
    assert reader.next_of(BuildStarted).changed == (source_dir / "a.c",)
    reader.next_of(BuildSucceeded)
    # The first sight of the generated file counts once; its identical rewrite
    # does not, so the next build is the one the user's edit asks for.
    assert reader.next_of(BuildStarted).changed == (source_dir / "generated.h",)
    reader.next_of(BuildSucceeded)
    (source_dir / "a.c").write_text("2")

    assert reader.next_of(BuildStarted).changed == (source_dir / "a.c",)


def test_stop_ends_the_event_stream_promptly(tmp_path: Path) -> None:
    path = tmp_path / "module.wasm"
    path.write_bytes(map_module())
    watcher: ModuleWatcher[LoadedModule] = ModuleWatcher(path, load_watched_module)
    reader = EventReader(watcher)
    reader.next_of(WatchStarted)

    threading.Thread(target=watcher.stop).start()
    reader.close()


def test_the_source_dir_defaults_to_the_nearest_project_root(tmp_path: Path) -> None:
    crate = tmp_path / "crate"
    output = crate / "target" / "wasm32-wasip1" / "release-lto"
    output.mkdir(parents=True)
    (crate / "Cargo.toml").write_text("[package]\n")
    loose = tmp_path / "loose"
    loose.mkdir()

    assert default_source_dir(output / "m.wasm") == crate
    assert default_source_dir(loose / "m.wasm") == loose


def test_a_change_deep_in_the_sources_starts_a_build(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    source_dir = tmp_path / "crate"
    (source_dir / "src" / "parser").mkdir(parents=True)
    (source_dir / "target" / "debug").mkdir(parents=True)
    module_path = tmp_path / "module.wasm"
    module_path.write_bytes(map_module())
    build = BuildConfig(
        command="true", source_dir=source_dir, log_path=tmp_path / "build.log"
    )
    reader = _watch(module_path, readers, build)

    (source_dir / "target" / "debug" / "out.d").write_text("ignored")
    deep = source_dir / "src" / "parser" / "mod.rs"
    deep.write_text("fn main() {}")

    assert reader.next_of(BuildStarted).changed == (deep,)


def test_build_output_and_vcs_folders_are_not_watched(tmp_path: Path) -> None:
    for folder in ("src", "tests", "target", ".git", "__pycache__"):
        (tmp_path / folder).mkdir()

    root, subtrees = source_watch_roots(tmp_path)

    assert root == tmp_path
    assert subtrees == [tmp_path / "src", tmp_path / "tests"]


def test_build_outputs_vcs_and_editor_files_do_not_trigger_builds(
    tmp_path: Path,
) -> None:
    ignored = frozenset({tmp_path / "out.wasm"})

    def triggers(relative: str) -> bool:
        return is_source_change(tmp_path / relative, tmp_path, ignored)

    assert triggers("src/lib.rs")
    assert triggers("map.c")
    for relative in (
        "target/debug/x.d",
        ".git/index",
        "pkg/__pycache__/m.cpython-311.pyc",
        "src/.lib.rs.swp",
        "src/lib.rs~",
        "src/.#lib.rs",
        "src/#lib.rs#",
        "4913",
        "out.wasm",
        "other.wasm",
    ):
        assert not triggers(relative), relative
    assert not is_source_change(Path("/elsewhere/x.c"), tmp_path, ignored)
