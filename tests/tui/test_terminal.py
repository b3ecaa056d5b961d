"""The real `smartbench` in a real terminal (tmux), read back with capture-pane."""

from __future__ import annotations

from pathlib import Path

from tests.tui.terminal import Tmux, start_smartbench


def test_smartbench_opens_the_samples_and_quits_on_ctrl_q(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    start_smartbench(tmux, workspace, tmp_path / "state", [], size=(80, 24))

    screen = tmux.wait_for("85 kept / 1,707")
    assert "Input · earthquakes · 1,707 records" in screen
    assert "✓" in screen and "✗ dropped" in screen
    assert "^q Quit" in screen

    tmux.keys("C-q")
    tmux.wait_for("smartbench exited 0")
    log = tmp_path / "state" / "smartbench.log"
    assert not log.exists() or "Traceback" not in log.read_text()


def test_ctrl_q_quits_while_a_module_spins(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    from tests.tui.helpers import make_topic, wasm_file
    from workbench.engine.broker import Broker

    broker = Broker.open(workspace)
    make_topic(broker, "words", ["alpha", "beta"])
    broker.close()
    module = wasm_file(tmp_path, "infinite_loop")
    # A budget far longer than the test, read from the workspace config, so the
    # module is still spinning when Ctrl+Q arrives however slow the machine is.
    (workspace / "config.toml").write_text('[engine]\ntime_budget = "10m"\n')
    arguments = [str(module), "--topic", "words"]
    start_smartbench(
        tmux, workspace, tmp_path / "state", arguments, size=(100, 30), samples=False
    )

    # The module spins for its whole 5 s budget; quit while it does.
    tmux.wait_for("Input · words · 2 records")
    tmux.keys("C-q")
    # wait_for gives up long before the 10-minute budget could end the call.
    screen = tmux.wait_for("smartbench exited 0")
    assert "Traceback" not in screen
    assert "time budget" not in screen


def test_a_module_path_on_a_first_run_opens_with_watch_on(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    arguments = ["sample_modules/quake-filter.wasm", "--topic", "earthquakes"]
    start_smartbench(tmux, workspace, tmp_path / "state", arguments)

    tmux.wait_for("85 kept / 1,707")
    screen = tmux.wait_for("watching quake-filter.wasm")
    tmux.keys("C-q")
    ended = tmux.wait_for("smartbench exited")

    assert "Traceback" not in screen
    assert "smartbench exited 0" in ended


def test_a_registered_name_on_a_first_run_opens_its_bench(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    arguments = ["quake-split", "--topic", "earthquakes-raw"]
    start_smartbench(tmux, workspace, tmp_path / "state", arguments)

    screen = tmux.wait_for("→ 1,707 children")
    tmux.keys("C-q")
    ended = tmux.wait_for("smartbench exited")

    assert "quake-split" in screen
    assert "smartbench exited 0" in ended
