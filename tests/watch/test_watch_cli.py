"""`smartbench watch` as a real process: output to a file, reloads, SIGTERM."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunSmartbench
from tests.watch.conftest import EVENT_TIMEOUT, write_atomically
from tests.watch.wat_modules import (
    LOWERCASE,
    filter_module,
    map_module,
    uppercase_unless,
)

BUILD_TIMEOUT = 60.0


def wait_for(condition: Callable[[], bool], timeout: float = EVENT_TIMEOUT) -> None:
    """Wait until ``condition`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the watcher")
        time.sleep(0.02)


def _default_sigint() -> None:
    # A runner started in the background ignores SIGINT, and children inherit it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class WatchProcess:
    """`smartbench watch …` running in the background, stdout and stderr to files."""

    def __init__(self, args: list[str], workspace: Path, cwd: Path, logs: Path):
        self.stdout_path = logs / "watch.out"
        self.stderr_path = logs / "watch.err"
        env = {
            **os.environ,
            "SMARTBENCH_HOME": str(workspace),
            "PYTHON": sys.executable,
            "PYTHONPATH": str(REPO_ROOT),
        }
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workbench", "watch", *args],
                stdout=out,
                stderr=err,
                env=env,
                cwd=cwd,
                preexec_fn=_default_sigint,
            )

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_stdout(
        self, text: str, count: int = 1, timeout: float = EVENT_TIMEOUT
    ) -> None:
        def seen() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"watch exited early:\n{self.stderr()}")
            return self.stdout().count(text) >= count

        wait_for(seen, timeout)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=EVENT_TIMEOUT)


@pytest.fixture
def processes() -> Iterator[list[WatchProcess]]:
    started: list[WatchProcess] = []
    yield started
    for watch in started:
        if watch.process.poll() is None:
            watch.process.kill()
            watch.process.wait()


def _words_topic(run_smartbench: RunSmartbench) -> None:
    assert run_smartbench("topic", "create", "words").returncode == 0
    produced = run_smartbench("produce", "words", input="Alpha\nbeta\nxray\nGamma\n")
    assert produced.returncode == 0, produced.stderr


def test_output_to_a_file_holds_the_start_and_every_reload_after_sigterm(
    tmp_path: Path,
    workspace: Path,
    run_smartbench: RunSmartbench,
    processes: list[WatchProcess],
) -> None:
    _words_topic(run_smartbench)
    module = tmp_path / "words.wasm"
    module.write_bytes(map_module())
    watch = WatchProcess(
        [str(module), "--topic", "words", "-B"], workspace, tmp_path, tmp_path
    )
    processes.append(watch)
    watch.wait_stdout("GAMMA")

    write_atomically(module, map_module(LOWERCASE))
    watch.wait_stdout("= ")
    write_atomically(module, b"not wasm")
    watch.wait_stdout("reload failed")
    filtered = filter_module("x")
    write_atomically(module, filtered)
    watch.wait_stdout("= ", count=2)

    assert watch.terminate() == 0
    lines = watch.stdout().splitlines()
    assert lines[:4] == ["ALPHA", "BETA", "XRAY", "GAMMA"]
    assert lines[4].startswith(f"reloaded {module}: map, ")
    assert lines[4].endswith(" ms")
    assert lines[5:10] == [
        "~ 0  ALPHA → alpha",
        "~ 1  BETA → beta",
        "~ 2  XRAY → xray",
        "~ 3  GAMMA → gamma",
        "= 4 changed, 0 added, 0 removed, 0 unchanged",
    ]
    assert lines[10].startswith(f"reload failed: {module.name}: not a WebAssembly")
    assert lines[10].endswith(f"; still running sha256:{_sha(map_module(LOWERCASE))}")
    assert lines[11].startswith(f"reloaded {module}: filter, ")
    assert f"sha256:{_sha(filtered)}" in lines[11]
    assert lines[12:] == [
        "~ 0  alpha → Alpha",
        "- 2  xray",
        "~ 3  gamma → Gamma",
        "= 2 changed, 0 added, 1 removed, 1 unchanged",
    ]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def test_bad_arguments_are_usage_errors(
    tmp_path: Path, run_smartbench: RunSmartbench
) -> None:
    _words_topic(run_smartbench)
    module = tmp_path / "m.wasm"
    module.write_bytes(map_module())

    missing = run_smartbench("watch", tmp_path / "absent.wasm", "--topic", "words")
    assert missing.returncode == 2
    assert b"absent.wasm: no such file" in missing.stderr

    unknown = run_smartbench("watch", module, "--topic", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.strip()

    backwards = run_smartbench(
        "watch", module, "--topic", "words", "--start", "3", "--end", "1"
    )
    assert backwards.returncode == 2
    assert b"End offset: 1 cannot be less than starting offset: 3" in (backwards.stderr)

    not_wasm = tmp_path / "text.wasm"
    not_wasm.write_text("hello")
    refused = run_smartbench("watch", not_wasm, "--topic", "words")
    assert refused.returncode == 2
    assert b"not a WebAssembly module" in refused.stderr


def _sample_project(tmp_path: Path) -> Path:
    # The samples' own build script, with only the map's source to build.
    project = tmp_path / "samples"
    (project / "src").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "sample_modules" / "build.sh", project)
    shutil.copytree(REPO_ROOT / "sample_modules" / "include", project / "include")
    shutil.copy(REPO_ROOT / "sample_modules" / "src" / "tpl-map.c", project / "src")
    shutil.copy(REPO_ROOT / "sample_modules" / "tpl-map.wasm", project)
    return project


def test_editing_a_sample_c_source_rebuilds_and_shows_the_diff(
    tmp_path: Path,
    workspace: Path,
    run_smartbench: RunSmartbench,
    processes: list[WatchProcess],
) -> None:
    assert run_smartbench("topic", "create", "numbers").returncode == 0
    assert run_smartbench("produce", "numbers", input="1\n2\n3\n").returncode == 0
    project = _sample_project(tmp_path)
    source = project / "src" / "tpl-map.c"
    watch = WatchProcess(
        ["tpl-map.wasm", "--topic", "numbers", "--build", "sh build.sh"],
        workspace,
        project,
        tmp_path,
    )
    processes.append(watch)
    watch.wait_stdout("6")

    original = source.read_text()
    source.write_text(original.replace("double_it(", "broken(("))
    wait_for(lambda: "build failed" in watch.stderr(), BUILD_TIMEOUT)
    source.write_text(original.replace("* 2u", "* 3u"))
    watch.wait_stdout("= ", timeout=BUILD_TIMEOUT)

    assert watch.terminate() == 0
    lines = watch.stdout().splitlines()
    assert lines[:3] == ["2", "4", "6"]
    assert lines[3].startswith("reloaded tpl-map.wasm: map, ")
    assert lines[4:] == [
        "~ 0  2 → 3",
        "~ 1  4 → 6",
        "~ 2  6 → 9",
        "= 3 changed, 0 added, 0 removed, 0 unchanged",
    ]
    assert "error" in watch.stderr()


def test_a_registered_name_follows_the_file_it_was_registered_from(
    tmp_path: Path,
    workspace: Path,
    run_smartbench: RunSmartbench,
    processes: list[WatchProcess],
) -> None:
    _words_topic(run_smartbench)
    module = tmp_path / "upper.wasm"
    module.write_bytes(map_module())
    created = run_smartbench("sm", "create", "upper", "--wasm-file", module)
    assert created.returncode == 0, created.stderr
    watch = WatchProcess(["upper", "--topic", "words"], workspace, tmp_path, tmp_path)
    processes.append(watch)
    watch.wait_stdout("GAMMA")

    write_atomically(module, map_module(LOWERCASE))
    watch.wait_stdout("= ")

    assert watch.terminate() == 0
    assert f"watching {module}" in watch.stderr()
    assert watch.stdout().splitlines()[4].startswith(f"reloaded {module}: map")


def test_records_and_diffs_use_consumes_formats(
    tmp_path: Path,
    workspace: Path,
    run_smartbench: RunSmartbench,
    processes: list[WatchProcess],
) -> None:
    _words_topic(run_smartbench)
    module = tmp_path / "words.wasm"
    module.write_bytes(map_module())
    args = [
        str(module),
        "--topic",
        "words",
        "-T",
        "2",
        "-k",
        "-F",
        "{{offset}}:{{value}}",
    ]
    watch = WatchProcess(args, workspace, tmp_path, tmp_path)
    processes.append(watch)
    watch.wait_stdout("GAMMA")

    write_atomically(module, map_module(uppercase_unless("x")))
    watch.wait_stdout("= ")

    assert watch.terminate() == 0
    lines = watch.stdout().splitlines()
    assert lines[:2] == ["[null] 2:XRAY", "[null] 3:GAMMA"]
    assert lines[3:] == [
        "~ 2  [null] 2:XRAY → [null] 2:xray",
        "= 1 changed, 0 added, 0 removed, 1 unchanged",
    ]


def test_ctrl_c_ends_the_watch_with_status_0(
    tmp_path: Path,
    workspace: Path,
    run_smartbench: RunSmartbench,
    processes: list[WatchProcess],
) -> None:
    _words_topic(run_smartbench)
    module = tmp_path / "words.wasm"
    module.write_bytes(map_module())
    watch = WatchProcess(
        [str(module), "--topic", "words"], workspace, tmp_path, tmp_path
    )
    processes.append(watch)
    watch.wait_stdout("GAMMA")

    watch.process.send_signal(signal.SIGINT)

    assert watch.process.wait(timeout=EVENT_TIMEOUT) == 0
    assert "Traceback" not in watch.stderr()
