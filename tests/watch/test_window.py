"""Reloads through the engine: the window re-runs and the diff is exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.engine.wat_fixtures import wasm
from tests.watch.conftest import EventReader, write_atomically
from tests.watch.wat_modules import filter_module, map_module, uppercase_unless
from workbench.engine.broker import Broker
from workbench.engine.module import LoadedModule
from workbench.engine.types import LookbackConfig, ModuleKind
from workbench.engine.watch import ModuleWatcher, Reloaded, ReloadFailed, WatchStarted
from workbench.engine.window import (
    ChainWindow,
    WindowRange,
    batch_from_values,
    load_watched_module,
    read_window,
    topic_history,
    window_ranges,
)
from workbench.errors import UsageError

VALUES = [b"apple", b"kiwi", b"banana", b"kale", b"xenon", b"cherry"]


@pytest.fixture
def broker(tmp_path: Path) -> Broker:
    opened = Broker.open(tmp_path / "workspace")
    opened.create_topic("fruit")
    opened.produce("fruit", VALUES[:3])
    opened.produce("fruit", VALUES[3:])
    return opened


def _watch_window(
    path: Path, broker: Broker, readers: list[EventReader]
) -> tuple[EventReader, WatchStarted]:
    batches = read_window(broker, "fruit", window_ranges(broker, "fruit"))
    watcher: ModuleWatcher[LoadedModule] = ModuleWatcher(
        path, load_watched_module, runner=ChainWindow(batches)
    )
    reader = EventReader(watcher)
    readers.append(reader)
    started = reader.next()
    assert isinstance(started, WatchStarted)
    return reader, started


def test_a_map_changing_some_records_gives_the_exact_diff(
    tmp_path: Path, broker: Broker, readers: list[EventReader]
) -> None:
    path = tmp_path / "map.wasm"
    path.write_bytes(map_module())
    reader, started = _watch_window(path, broker, readers)
    assert started.output is not None
    assert [r.value for r in started.output.records] == [v.upper() for v in VALUES]

    write_atomically(path, map_module(uppercase_unless("k")))
    reloaded = reader.next_of(Reloaded)

    assert reloaded.diff is not None
    assert reloaded.diff.format() == [
        "~ 1  KIWI → kiwi",
        "~ 3  KALE → kale",
        "= 2 changed, 0 added, 0 removed, 4 unchanged",
    ]


def test_a_filter_replacing_a_map_diffs_by_input_offset(
    tmp_path: Path, broker: Broker, readers: list[EventReader]
) -> None:
    path = tmp_path / "module.wasm"
    path.write_bytes(map_module())
    reader, _ = _watch_window(path, broker, readers)

    write_atomically(path, filter_module("x"))
    reloaded = reader.next_of(Reloaded)

    assert reloaded.info.kind is ModuleKind.FILTER
    assert reloaded.diff is not None
    assert reloaded.diff.format() == [
        "~ 0  APPLE → apple",
        "~ 1  KIWI → kiwi",
        "~ 2  BANANA → banana",
        "~ 3  KALE → kale",
        "- 4  XENON",
        "~ 5  CHERRY → cherry",
        "= 5 changed, 0 added, 1 removed, 0 unchanged",
    ]


def test_a_module_whose_init_fails_is_not_swapped_in(
    tmp_path: Path, broker: Broker, readers: list[EventReader]
) -> None:
    path = tmp_path / "map.wasm"
    path.write_bytes(map_module())
    reader, started = _watch_window(path, broker, readers)

    write_atomically(path, map_module(failing_init=True))
    failed = reader.next_of(ReloadFailed)

    assert failed.old_sha == started.info.sha256
    assert "init" in failed.reason
    assert reader.watcher.current is not None
    assert reader.watcher.current.info.sha256 == started.info.sha256

    write_atomically(path, map_module(uppercase_unless("a")))
    reloaded = reader.next_of(Reloaded)
    assert reloaded.diff is not None
    assert reloaded.diff.format()[-1] == (
        "= 1 changed, 0 added, 0 removed, 5 unchanged"
    )


def test_window_ranges_follow_the_start_flags(broker: Broker) -> None:
    assert window_ranges(broker, "fruit") == [WindowRange(0, 0, 6)]
    assert window_ranges(broker, "fruit", tail=2) == [WindowRange(0, 4, 6)]
    assert window_ranges(broker, "fruit", start=2, end=3) == [WindowRange(0, 2, 4)]
    assert window_ranges(broker, "fruit", beginning=True) == [WindowRange(0, 0, 6)]

    batches = read_window(broker, "fruit", [WindowRange(0, 2, 4)])
    assert sum(batch.count for batch in batches) == 2
    with pytest.raises(UsageError):
        window_ranges(broker, "fruit", start=3, end=2)
    with pytest.raises(UsageError):
        window_ranges(broker, "fruit", partitions=[4])


def test_an_aggregate_restarts_from_its_initial_value_on_every_reload(
    tmp_path: Path, readers: list[EventReader]
) -> None:
    broker = Broker.open(tmp_path / "workspace")
    broker.create_topic("numbers")
    broker.produce("numbers", [b"1", b"2", b"3"])
    sample = (REPO_ROOT / "sample_modules" / "tpl-aggregate.wasm").read_bytes()
    path = tmp_path / "sum.wasm"
    path.write_bytes(sample)
    window = ChainWindow(
        read_window(broker, "numbers", window_ranges(broker, "numbers")),
        initial=b"10",
    )
    watcher: ModuleWatcher[LoadedModule] = ModuleWatcher(
        path, load_watched_module, runner=window
    )
    reader = EventReader(watcher)
    readers.append(reader)
    started = reader.next_of(WatchStarted)
    assert started.output is not None
    assert [r.value for r in started.output.records] == [b"11", b"13", b"16"]

    # The same code with different bytes: a carried-over sum would show changes.
    write_atomically(path, sample + b"\x00\x05\x04note")
    reloaded = reader.next_of(Reloaded)

    assert reloaded.info.sha256 != started.info.sha256
    assert reloaded.diff is not None
    assert reloaded.diff.format() == ["= 0 changed, 0 added, 0 removed, 3 unchanged"]


def test_typed_values_make_a_window(tmp_path: Path) -> None:
    module = load_watched_module(map_module(), tmp_path / "m.wasm")
    window = ChainWindow((batch_from_values([b"a", b"b"], base_offset=5),))

    output = window.run(module)

    assert [(r.offset, r.value) for r in output.records] == [(5, b"A"), (6, b"B")]
    assert output.errors == ()


def test_a_runtime_error_keeps_the_records_before_it(tmp_path: Path) -> None:
    sample = REPO_ROOT / "sample_modules" / "tpl-map.wasm"
    module = load_watched_module(sample.read_bytes(), sample)
    window = ChainWindow((batch_from_values([b"1", b"x", b"3"]),))

    output = window.run(module)

    assert [r.value for r in output.records] == [b"2"]
    assert len(output.errors) == 1
    assert output.errors[0].startswith("SmartModule transform error")
    assert "Offset: 1" in output.errors[0]


def test_look_back_sees_the_topic_history_on_every_run(tmp_path: Path) -> None:
    broker = Broker.open(tmp_path / "workspace")
    broker.create_topic("levels")
    broker.produce("levels", [b"3", b"9", b"5", b"10", b"7", b"8"])
    batches = read_window(broker, "levels", window_ranges(broker, "levels", tail=4))
    rising = load_watched_module(wasm("rising"), tmp_path / "rising.wasm")

    plain = ChainWindow(batches).run(rising)
    seeded = ChainWindow(
        batches,
        lookback=LookbackConfig(last=3),
        lookback_for=topic_history(broker, "levels"),
    ).run(rising)

    assert [r.value for r in plain.records] == [b"5", b"10"]
    assert [r.value for r in seeded.records] == []


def test_array_map_children_sit_under_the_first_offset_of_their_call(
    tmp_path: Path,
) -> None:
    broker = Broker.open(tmp_path / "workspace")
    broker.create_topic("arrays")
    broker.produce("arrays", [b"[1,2]"])
    broker.produce("arrays", [b'["a"]', b"[3,4,5]"])
    sample = REPO_ROOT / "sample_modules" / "tpl-array-map.wasm"
    module = load_watched_module(sample.read_bytes(), sample)
    window = ChainWindow(read_window(broker, "arrays", window_ranges(broker, "arrays")))

    output = window.run(module)

    assert [(r.offset, r.value) for r in output.records] == [
        (0, b"1"),
        (0, b"2"),
        (1, b'"a"'),
        (1, b"3"),
        (1, b"4"),
        (1, b"5"),
    ]
