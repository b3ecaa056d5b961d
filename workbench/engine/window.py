"""A fixed input window that watch mode re-runs with every new module.

The window is a list of stored batches (from a topic, or records typed into the
TUI) read once when watching starts, so the old and the new module see exactly the
same input. Each run builds fresh chains, one per partition as a consumer does
(``init`` with the current params, ``look_back`` when configured, the aggregate
starting again from its initial value), and calls the module once per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path

from workbench.engine.batches import iter_fields
from workbench.engine.broker import Broker, StoredBatch
from workbench.engine.chain import Chain, LookbackSource, StepConfig
from workbench.engine.module import LoadedModule, load_module
from workbench.engine.outdiff import OutputRecord
from workbench.engine.records import encode_values
from workbench.engine.types import (
    DEFAULT_ABI_VERSION,
    Limits,
    LookbackConfig,
    ModuleKind,
    ProcessResult,
)
from workbench.engine.watch import WindowOutput
from workbench.errors import UsageError

DEFAULT_WINDOW_RECORDS = 1000

PartitionHistory = Callable[[int], LookbackSource | None]
"""Given a partition, where its chain's ``look_back`` history comes from."""


@dataclass(frozen=True)
class WindowRange:
    """Which offsets of one partition the window holds: ``start`` … ``end - 1``."""

    partition: int
    start: int
    end: int


@dataclass(frozen=True)
class ChainWindow:
    """Runs a module over fixed batches; a :class:`WindowRunner` for the watcher."""

    batches: tuple[StoredBatch, ...]
    params: dict[str, str] = field(default_factory=dict)
    initial: bytes = b""
    """The aggregate accumulator each run starts from."""
    lookback: LookbackConfig | None = None
    """Which history ``look_back`` sees; None means it is not called."""
    lookback_for: PartitionHistory | None = None
    """Where that history comes from, partition by partition."""
    abi_version: int = DEFAULT_ABI_VERSION
    limits: Limits = field(default_factory=Limits)

    @property
    def record_count(self) -> int:
        """How many input records the window holds."""
        return sum(batch.count for batch in self.batches)

    def run(self, module: LoadedModule) -> WindowOutput:
        """Run ``module`` over the whole window, one chain per partition.

        Args:
            module: The freshly compiled module.

        Returns:
            Every output record keyed by its input offset (array-map children by
            the first input offset of their call), the rendered runtime errors and
            what the module printed. A partition stops at its first error, keeping
            the records before it, as a consumer would.

        Raises:
            ModuleRuntimeError: The module could not be instantiated, or its
                ``init`` or ``look_back`` failed: it must not be swapped in.
        """
        step = StepConfig(module, dict(self.params), self.initial, self.lookback)
        records: list[OutputRecord] = []
        errors: list[str] = []
        logs: list[str] = []

        for partition, batches in groupby(self.batches, lambda b: b.partition):
            history = self.lookback_for(partition) if self.lookback_for else None
            with Chain.build(
                [step],
                abi_version=self.abi_version,
                limits=self.limits,
                lookback_source=history,
            ) as chain:
                for batch in batches:
                    result = chain.process(
                        batch.records, batch.base_offset, batch.base_timestamp
                    )
                    records.extend(_outputs(batch, result, module.kind))
                    logs.extend(_logs(result))
                    problem = _problem(result)
                    if problem is not None:
                        errors.append(problem)
                        break

        return WindowOutput(tuple(records), tuple(errors), tuple(logs))


def window_ranges(
    broker: Broker,
    topic: str,
    partitions: Sequence[int] | None = None,
    *,
    beginning: bool = False,
    tail: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> list[WindowRange]:
    """The offsets a watch window covers in each partition, fixed now.

    Args:
        broker: The workspace's broker.
        topic: The topic to read.
        partitions: Partition numbers, or None for all of them.
        beginning: From the first stored record (``-B``).
        tail: The last N records (``-T N``).
        start: From this absolute offset (``--start``).
        end: Up to this offset, inclusive (``--end``).

    Returns:
        One range per partition, ending at the high watermark read now unless
        ``end`` is given. With no start flag the window is the last
        :data:`DEFAULT_WINDOW_RECORDS` records of each partition.

    Raises:
        NotFoundError: The topic does not exist.
        UsageError: A partition does not exist, or ``end`` is before ``start``.
    """
    if start is not None and end is not None and end < start:
        raise UsageError(
            f"End offset: {end} cannot be less than starting offset: {start}"
        )
    infos = {info.partition: info for info in broker.partitions(topic)}
    chosen = list(partitions) if partitions else sorted(infos)

    ranges: list[WindowRange] = []
    for partition in chosen:
        info = infos.get(partition)
        if info is None:
            raise UsageError(f"topic {topic!r} has no partition {partition}")
        if beginning:
            first = info.base
        elif start is not None:
            first = start
        else:
            first = max(info.base, info.hw - (tail or DEFAULT_WINDOW_RECORDS))
        stop = info.hw if end is None else min(info.hw, end + 1)
        ranges.append(WindowRange(partition, first, max(first, stop)))
    return ranges


def read_window(
    broker: Broker, topic: str, ranges: Sequence[WindowRange]
) -> tuple[StoredBatch, ...]:
    """Read the window's batches once, partition by partition."""
    return tuple(
        batch
        for window in ranges
        if window.end > window.start
        for batch in broker.read_batches(
            topic, window.partition, window.start, window.end
        )
    )


def topic_history(broker: Broker, topic: str) -> PartitionHistory:
    """``look_back`` history from a topic, as a consumer of it would get it."""

    def for_partition(partition: int) -> LookbackSource:
        def history(_step_index: int, config: LookbackConfig) -> bytes | None:
            return broker.history(topic, partition, config.last, config.age_seconds)

        return history

    return for_partition


def batch_from_values(
    values: Sequence[bytes],
    keys: Sequence[bytes | None] | None = None,
    *,
    base_offset: int = 0,
    base_timestamp: int = -1,
    partition: int = 0,
) -> StoredBatch:
    """A window batch from plain values, e.g. records typed into a bench.

    Args:
        values: Record values, offsets counting up from ``base_offset``.
        keys: One key or None per value; None for no keys.
        base_offset: Offset of the first record.
        base_timestamp: Milliseconds since the epoch; -1 for records without time.
        partition: The partition the records are shown under.
    """
    records = encode_values(values, keys)
    return StoredBatch(
        partition, base_offset, base_timestamp, base_offset, len(values), records
    )


def _outputs(
    batch: StoredBatch, result: ProcessResult, kind: ModuleKind
) -> Iterator[OutputRecord]:
    # Array-map children are new records (offset delta 0): they belong to the
    # call, whose first input offset they are shown under.
    for offset_delta, timestamp_delta, key, value in iter_fields(result.output):
        offset = (
            batch.first_offset
            if kind is ModuleKind.ARRAY_MAP
            else batch.base_offset + offset_delta
        )
        yield OutputRecord(
            offset=offset,
            value=value,
            key=key,
            partition=batch.partition,
            timestamp=batch.base_timestamp + timestamp_delta,
        )


def _problem(result: ProcessResult) -> str | None:
    if result.error is not None:
        return result.error.render()
    return result.failure


def _logs(result: ProcessResult) -> Iterator[str]:
    for stream in (result.stdout, result.stderr):
        if stream:
            yield stream.decode("utf-8", "replace").rstrip("\n")
    yield from result.notices


def load_watched_module(data: bytes, path: Path) -> LoadedModule:
    """Validate and compile a watched file's bytes, keeping its path in the info."""
    module = load_module(data, name=path.name)
    return replace(module, info=replace(module.info, path=path))
