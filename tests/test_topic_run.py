"""Whole-topic runs read stored batches as they are: merged, cut, and counted."""

from __future__ import annotations

from pathlib import Path

from tests.engine import wat_fixtures
from workbench.bench import (
    RUN_LOGS_KEPT,
    TOPIC_RUN_BATCH,
    BenchSpec,
    BuildCounter,
    LoadedChain,
    StepSpec,
    TopicRunSummary,
    TopicSource,
    load_step_module,
    run_topic,
)
from workbench.engine.broker import Broker
from workbench.engine.types import Limits


def _loaded(tmp_path: Path, fixture: str, topic: str) -> LoadedChain:
    path = tmp_path / f"{fixture}.wasm"
    path.write_bytes(wat_fixtures.wasm(fixture))
    spec = BenchSpec([StepSpec(str(path))], topic=topic)
    modules = [load_step_module(step, None) for step in spec.steps]
    return LoadedChain(spec, modules, Limits(), BuildCounter())


def _run(
    broker: Broker, loaded: LoadedChain, topic: str
) -> tuple[TopicRunSummary, list[tuple[list[bytes], list[bytes | None]]], list[int]]:
    written: list[tuple[list[bytes], list[bytes | None]]] = []
    progress: list[int] = []
    summary = run_topic(
        loaded,
        TopicSource(broker, topic),
        lambda values, keys: written.append((values, keys)),
        lambda: False,
        lambda step: progress.append(step.done),
        "out",
    )
    return summary, written, progress


def test_records_typed_one_by_one_and_a_big_batch_run_as_few_calls(
    tmp_path: Path,
) -> None:
    broker = Broker.open(tmp_path / "ws")
    broker.create_topic("fruit")
    for word in ("apple", "kiwi", "banana"):
        broker.produce("fruit", [word.encode()], [b"k-" + word.encode()])
    many = [b"a%d" % n if n % 3 else b"x%d" % n for n in range(2 * TOPIC_RUN_BATCH + 5)]
    broker.produce("fruit", many)
    loaded = _loaded(tmp_path, "filter", "fruit")

    summary, written, progress = _run(broker, loaded, "fruit")

    inputs = [b"apple", b"kiwi", b"banana", *many]
    kept = [(offset, v) for offset, v in enumerate(inputs) if b"a" in v]
    values = [value for batch, _ in written for value in batch]
    keys = [key for _, batch in written for key in batch]
    assert values == [value for _, value in kept]
    assert list(summary.source_offsets) == [offset for offset, _ in kept]
    assert keys[:2] == [b"k-apple", b"k-banana"]
    assert summary.records_in == len(inputs)
    assert summary.bytes_in == sum(map(len, inputs)) + len(b"k-applek-kiwik-banana")
    # The three one-record batches make one call, not three; the big stored
    # batch is cut into calls of TOPIC_RUN_BATCH records.
    assert progress == [3, 3 + TOPIC_RUN_BATCH, 3 + 2 * TOPIC_RUN_BATCH, len(inputs)]


def test_a_record_error_counts_only_the_records_before_it(tmp_path: Path) -> None:
    broker = Broker.open(tmp_path / "ws")
    broker.create_topic("numbers")
    broker.produce("numbers", [b"%d" % n for n in range(1500)])
    broker.produce("numbers", [b"2", b"four", b"6"])
    loaded = _loaded(tmp_path, "filter_map", "numbers")

    summary, written, _ = _run(broker, loaded, "numbers")

    assert summary.error is not None and summary.error.offset == 1501
    assert summary.records_in == 1501
    assert [values[-1] for values, _ in written][-1] == b"1"
    assert summary.source_offsets[-1] == 1500


def test_a_run_keeps_only_the_last_batches_logs(tmp_path: Path) -> None:
    broker = Broker.open(tmp_path / "ws")
    broker.create_topic("many")
    batches = RUN_LOGS_KEPT + 30
    broker.produce("many", [b"a%d" % n for n in range(batches * TOPIC_RUN_BATCH)])
    loaded = _loaded(tmp_path, "printer", "many")

    summary, _, _ = _run(broker, loaded, "many")

    assert summary.logged_batches == batches
    assert len(summary.logs) == RUN_LOGS_KEPT
    first, last, text = summary.logs[-1]
    assert (first, last) == (
        (batches - 1) * TOPIC_RUN_BATCH,
        batches * TOPIC_RUN_BATCH - 1,
    )
    assert text == "hello from the module\na warning"
