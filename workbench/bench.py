"""What one bench computes: a module chain run over a window of input or a topic.

The TUI draws these results; this module never imports Textual, so the same logic
is testable headless. Every function here blocks (wasm compile and run, SQLite) and
is meant to run in a worker thread. Each run builds its own chain, and therefore its
own wasmtime store, so no store is ever touched by two threads.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from workbench.engine.batches import decode_fields, slice_batch
from workbench.engine.records import Record, decode_records, encode_record_list
from workbench.engine.types import (
    DEFAULT_ABI_VERSION,
    Limits,
    ModuleInfo,
    ModuleKind,
    ProcessResult,
    TransformError,
)
from workbench.errors import ModuleLoadError, UsageError

if TYPE_CHECKING:
    from workbench.engine.broker import Broker

TOPIC_RUN_BATCH = 1000
RUN_LOGS_KEPT = 50
"""How many batches' logs a whole-topic run keeps (the last ones)."""
"""Records per wasm call in a whole-topic run: one call per batch, never per record."""


@dataclass(frozen=True, slots=True)
class InputRow:
    """One input record as the panes show it."""

    offset: int
    timestamp: int
    """Milliseconds since the epoch; 0 when unknown (scratch lines)."""
    key: bytes | None
    value: bytes


class InputSource(Protocol):
    """Random access to the rows of a bench's input, by index from 0."""

    @property
    def label(self) -> str:
        """What the pane title says (topic name or ``scratch``)."""
        ...

    def count(self) -> int:
        """How many rows there are now."""
        ...

    def rows(self, start: int, count: int) -> list[InputRow]:
        """Rows ``start`` to ``start + count`` (fewer at the end)."""
        ...


class TopicSource:
    """A topic partition of the workspace broker as an input source.

    The broker serialises its own calls, so workers and the UI may share it.
    """

    def __init__(self, broker: Broker, topic: str, partition: int = 0) -> None:
        self.broker = broker
        self.topic = topic
        self.partition = partition

    @property
    def label(self) -> str:
        return self.topic

    def _bounds(self) -> tuple[int, int]:
        for info in self.broker.partitions(self.topic):
            if info.partition == self.partition:
                return info.base, info.hw
        return 0, 0

    def count(self) -> int:
        base, high_watermark = self._bounds()
        return high_watermark - base

    def rows(self, start: int, count: int) -> list[InputRow]:
        base, _ = self._bounds()
        stored = self.broker.read_records(
            self.topic, self.partition, base + start, count
        )
        return [InputRow(r.offset, r.timestamp, r.key, r.value) for r in stored]

    def batches(self, start: int, stop: int, size: int) -> Iterator[InputBatch]:
        """Rows ``start`` to ``stop`` as stored record lists of about ``size``.

        The broker keeps records encoded as a module receives them, so a run
        hands them over without decoding: small stored batches (records produced
        one at a time) are merged, large ones cut to ``size``.
        """
        from workbench.engine.broker import coalesce_batches

        base, _ = self._bounds()
        stored = self.broker.read_batches(
            self.topic, self.partition, base + start, base + stop
        )
        for batch in coalesce_batches(stored, max_records=size):
            skip = 0
            while skip < batch.count:
                take = min(size, batch.count - skip)
                records = batch.records
                if skip or take < batch.count:
                    records = slice_batch(records, skip, take)
                yield InputBatch(
                    records,
                    batch.base_offset,
                    batch.base_timestamp,
                    batch.first_offset + skip,
                    take,
                )
                skip += take


@dataclass(frozen=True, slots=True)
class InputBatch:
    """Consecutive input records as one encoded record list, for an engine call."""

    records: bytes
    base_offset: int
    """What the records' offset deltas add to (the call's base offset)."""
    base_timestamp: int
    first_offset: int
    """Offset of the first record (above ``base_offset`` when cut from a batch)."""
    count: int

    @property
    def last_offset(self) -> int:
        return self.first_offset + self.count - 1


def input_batches(
    source: InputSource, start: int, stop: int, size: int
) -> Iterator[InputBatch]:
    """Rows ``start`` to ``stop`` of any source as encoded batches of ``size``."""
    if isinstance(source, TopicSource):
        yield from source.batches(start, stop, size)
        return
    while start < stop:
        rows = source.rows(start, min(size, stop - start))
        if not rows:
            return
        encoded, base_offset, base_timestamp = encode_rows(rows)
        yield InputBatch(encoded, base_offset, base_timestamp, base_offset, len(rows))
        start += len(rows)


class ScratchSource:
    """Lines typed by the user, one record each, optionally ``key<sep>value``."""

    def __init__(self, text: str, key_separator: str = "") -> None:
        self.text = text
        self.key_separator = key_separator
        self._rows = parse_scratch(text, key_separator)
        self.line_rows = scratch_line_rows(text)
        """For each line of the text, the row it holds (None: a blank line)."""

    @property
    def label(self) -> str:
        return "scratch"

    def count(self) -> int:
        return len(self._rows)

    def rows(self, start: int, count: int) -> list[InputRow]:
        return self._rows[start : start + count]


def parse_scratch(text: str, key_separator: str = "") -> list[InputRow]:
    """One row per non-empty line; the key is what precedes the first separator."""
    rows: list[InputRow] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        key: bytes | None = None
        value = line
        if key_separator and key_separator in line:
            key_text, value = line.split(key_separator, 1)
            key = key_text.encode()
        rows.append(InputRow(len(rows), 0, key, value.encode()))
    return rows


def scratch_line_rows(text: str) -> list[int | None]:
    """The row index of each line of ``text``, None for a blank line (no record).

    Lines are counted as the editor counts them, so line i of the editor and line
    i of the Output pane show the same record.
    """
    lines = text.splitlines()
    if not text or text.endswith(("\n", "\r")):
        lines.append("")
    line_rows: list[int | None] = []
    count = 0
    for line in lines:
        if line.strip():
            line_rows.append(count)
            count += 1
        else:
            line_rows.append(None)
    return line_rows


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=value`` strings as given to ``-e``, in a dict; blank entries skipped."""
    params: dict[str, str] = {}
    for pair in pairs:
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"parameter {pair!r} is not KEY=value")
        params[key.strip()] = value
    return params


@dataclass
class StepSpec:
    """One module of a bench's chain and the settings it runs with."""

    module: str
    """A registered name, or a path to a ``.wasm`` file."""
    params: dict[str, str] = field(default_factory=dict)
    initial: str | None = None
    """Aggregate initial value (literal bytes as UTF-8); None means empty."""

    @property
    def is_path(self) -> bool:
        """True when ``module`` names a file rather than a registered module."""
        return self.module.endswith(".wasm") or "/" in self.module


@dataclass
class BenchSpec:
    """Everything needed to reopen a bench: module chain, input and settings."""

    steps: list[StepSpec]
    topic: str | None = None
    """The input topic; None means the scratch pane."""
    partition: int = 0
    abi_version: int = DEFAULT_ABI_VERSION
    scratch_text: str = ""
    key_separator: str = ""
    watch: bool = False
    source_path: str | None = None
    """The file a promoted module came from, still followed by watch."""

    @property
    def title(self) -> str:
        """Tab title: the module's name, or the first module and the chain length."""
        first = self.steps[0].module
        name = Path(first).name if self.steps[0].is_path else first
        return name if len(self.steps) == 1 else f"{name} +{len(self.steps) - 1}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for the session file."""
        return {
            "steps": [
                {"module": s.module, "params": s.params, "initial": s.initial}
                for s in self.steps
            ],
            "topic": self.topic,
            "partition": self.partition,
            "abi_version": self.abi_version,
            "scratch_text": self.scratch_text,
            "key_separator": self.key_separator,
            "watch": self.watch,
            "source_path": self.source_path,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchSpec:
        """The spec saved by :meth:`to_json`; raises KeyError/TypeError if broken."""
        steps = [
            StepSpec(str(s["module"]), dict(s.get("params") or {}), s.get("initial"))
            for s in data["steps"]
        ]
        if not steps:
            raise ValueError("a bench needs at least one module")
        return cls(
            steps=steps,
            topic=data.get("topic"),
            partition=int(data.get("partition", 0)),
            abi_version=int(data.get("abi_version", DEFAULT_ABI_VERSION)),
            scratch_text=str(data.get("scratch_text", "")),
            key_separator=str(data.get("key_separator", "")),
            watch=bool(data.get("watch", False)),
            source_path=data.get("source_path"),
        )


# --- loading -----------------------------------------------------------------------


ModuleLoader = Callable[[StepSpec], Any]
"""Returns the compiled module (a ``LoadedModule``) for a step."""


def load_step_module(step: StepSpec, registry: Any | None) -> Any:
    """Compile a step's module from its path or from the registry."""
    from workbench.engine.module import load_module

    if step.is_path:
        path = Path(step.module).expanduser()
        check_module_file(path)
        return load_module(path)
    if registry is None:
        raise ModuleLoadError(f"SmartModule {step.module} was not found")
    return registry.load(step.module)


def check_module_file(path: Path) -> None:
    """Refuse a module path that is missing or not a file, saying which."""
    if path.is_dir():
        raise ModuleLoadError(f"{path} is a directory, not a .wasm file")
    if not path.is_file():
        raise ModuleLoadError(f"{path}: no such file")


class BuildCounter:
    """How many chains (and so ``init`` calls) a bench has built; any thread adds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        """Chains built so far."""
        return self._count

    def add(self) -> None:
        """Count one more build."""
        with self._lock:
            self._count += 1


SetupKey = tuple[tuple[str, ...], tuple[tuple[tuple[str, str], ...], ...], int]
"""What a chain's ``init`` depends on: module hashes, each step's params, ABI."""


@dataclass
class LoadedChain:
    """Compiled modules of a bench, shared read-only by the runs' own stores."""

    spec: BenchSpec
    modules: list[Any]
    limits: Limits = field(default_factory=Limits)
    """Memory and time budgets of every chain built from these modules."""
    builds: BuildCounter = field(default_factory=BuildCounter)
    """Counts every chain built from these modules (shared by a bench's reloads)."""

    @property
    def setup_key(self) -> SetupKey:
        """Everything ``init`` sees: equal keys mean an equal ``init`` outcome."""
        hashes = tuple(str(m.info.sha256) for m in self.modules)
        params = tuple(tuple(sorted(s.params.items())) for s in self.spec.steps)
        return hashes, params, self.spec.abi_version

    @property
    def infos(self) -> list[ModuleInfo]:
        """Each step's :class:`ModuleInfo`."""
        return [m.info for m in self.modules]

    @property
    def kind(self) -> ModuleKind:
        """The kind that decides the Output pane: the last step's."""
        kind: ModuleKind = self.modules[-1].info.kind
        return kind

    @property
    def has_array_map(self) -> bool:
        """An array-map step loses offsets, so outputs need per-record attribution."""
        return any(m.info.kind is ModuleKind.ARRAY_MAP for m in self.modules)

    def build(
        self, initial_override: bytes | None = None, limits: Limits | None = None
    ) -> Any:
        """A fresh chain (its own store) with ``init`` already run."""
        from workbench.engine.chain import Chain, StepConfig

        self.builds.add()
        configs = []
        pairs = zip(self.spec.steps, self.modules, strict=True)
        for index, (step, module) in enumerate(pairs):
            initial = b"" if step.initial is None else step.initial.encode()
            if initial_override is not None and index == len(self.modules) - 1:
                initial = initial_override
            configs.append(
                StepConfig(module=module, params=dict(step.params), initial=initial)
            )
        return Chain.build(
            configs, abi_version=self.spec.abi_version, limits=limits or self.limits
        )


# --- window runs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """One output record, still as bytes."""

    key: bytes | None
    value: bytes


@dataclass
class WindowResult:
    """The output for rows ``start``..``start + len(rows)`` of the input."""

    start: int
    rows: list[InputRow]
    kind: ModuleKind
    outputs: dict[int, list[OutputRecord]] = field(default_factory=dict)
    """Row index → the records it produced (empty list: dropped)."""
    stream: list[OutputRecord] = field(default_factory=list)
    """Output that cannot be attributed to rows, in order (chains with array-map)."""
    attributed: bool = True
    error: TransformError | None = None
    error_index: int | None = None
    """Row index of the record that failed; rows after it were not processed."""
    failure: str | None = None
    logs: list[tuple[int | None, str]] = field(default_factory=list)
    """(row index or None for the whole batch, text the module wrote)."""
    attributed_from: int | None = None
    """First row index re-run one record per call; None when none was."""
    attribution_note: str | None = None
    """Why the per-record re-run may not match the batch (the module keeps state)."""
    notices: list[str] = field(default_factory=list)
    records_in: int = 0
    records_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    accumulator_note: str | None = None
    step: int | None = None
    """Which chain step's output this is (None: the last)."""

    @property
    def end(self) -> int:
        """Index one past the last row of the window."""
        return self.start + len(self.rows)

    def row_logs(self, index: int) -> list[str]:
        """What the module wrote while processing row ``index`` (window-relative)."""
        return [text for row, text in self.logs if row == index]

    def row_failed(self, index: int) -> bool:
        """True when row ``index`` (window-relative) caused the error or failure."""
        return self.error_index == index and (
            self.error is not None or self.failure is not None
        )

    def row_problem(self, index: int) -> str | None:
        """The error or failure row ``index`` (window-relative) caused, if any."""
        if not self.row_failed(index):
            return None
        if self.error is not None:
            return self.error.render()
        return self.failure


def encode_rows(rows: Sequence[InputRow]) -> tuple[bytes, int, int]:
    """A record list of ``rows`` with offset deltas = position; base offset, time."""
    base_timestamp = rows[0].timestamp if rows else 0
    records = [
        Record(
            value=row.value,
            key=row.key,
            offset_delta=index,
            timestamp_delta=max(0, row.timestamp - base_timestamp),
        )
        for index, row in enumerate(rows)
    ]
    base_offset = rows[0].offset if rows else 0
    return encode_record_list(records), base_offset, base_timestamp


def _logs_of(result: ProcessResult) -> str:
    text = (result.stdout + result.stderr).decode("utf-8", "replace")
    return text.rstrip("\n")


def _output_records(encoded: bytes) -> list[tuple[int, OutputRecord]]:
    return [
        (r.offset_delta, OutputRecord(r.key, r.value)) for r in decode_records(encoded)
    ]


def run_window(
    loaded: LoadedChain,
    start: int,
    rows: list[InputRow],
    initial: bytes | None = None,
    step: int | None = None,
    limits: Limits | None = None,
    visible_start: int | None = None,
) -> WindowResult:
    """Run the chain once over ``rows`` and attribute outputs to input rows.

    When the batch call leaves something that offsets cannot place (array-map
    children, what the module wrote, a failure), the rows are run again one call
    each on a separate chain, so each child, log line and failure lands under the
    record that caused it.

    Args:
        loaded: The compiled chain.
        start: Index of ``rows[0]`` in the input.
        rows: The input window; one wasm call per step for all of it.
        initial: Accumulator to start an aggregate from, instead of the spec's.
        step: Show this step's output instead of the last one.
        limits: Memory and time budgets for this run.
        visible_start: Index of the first row on screen; an aggregate's per-record
            re-run starts there, from the accumulator the batch reached.

    Returns:
        The window's outputs, error, logs and counters.
    """
    began = time.perf_counter()
    result = WindowResult(start=start, rows=rows, kind=loaded.kind, step=step)
    if step is not None:
        result.kind = loaded.modules[step].info.kind
    result.records_in = len(rows)
    result.bytes_in = sum(len(r.value) + len(r.key or b"") for r in rows)
    if not rows:
        return result

    chain = loaded.build(initial, limits)
    encoded, base_offset, base_timestamp = encode_rows(rows)
    keep_steps = step is not None and len(loaded.modules) > 1
    processed = chain.process(
        encoded, base_offset, base_timestamp, keep_steps=keep_steps
    )
    _fill_window(result, loaded, processed, base_offset, step)

    if _needs_attribution(result, loaded, step):
        first, first_initial = _attribution_start(
            result, loaded, initial, step, visible_start
        )
        _attribute_per_record(result, loaded, first, first_initial, step, limits)
    result.seconds = time.perf_counter() - began
    return result


def _needs_attribution(
    result: WindowResult, loaded: LoadedChain, step: int | None
) -> bool:
    if loaded.has_array_map and (step is None or _array_map_upto(loaded, step)):
        return True
    if result.failure is not None:
        # A call that ran out of time would take as long again on its record.
        return "time budget" not in result.failure
    return bool(result.logs)


def _attribution_start(
    result: WindowResult,
    loaded: LoadedChain,
    initial: bytes | None,
    step: int | None,
    visible_start: int | None,
) -> tuple[int, bytes | None]:
    """Where the per-record re-run starts, and the accumulator to start it from.

    Rows before the window's visible part only matter to an aggregate's state, and
    the batch run already says what that state is: each output record of an
    aggregate is its accumulator after that input record. Any other chain starts
    at the window's first row, as the batch did, so its static state matches.
    """
    shows_aggregate = step is None and loaded.kind is ModuleKind.AGGREGATE
    if not shows_aggregate or visible_start is None or loaded.has_array_map:
        return 0, initial
    first = min(max(0, visible_start - result.start), len(result.rows))
    reached = result.error_index if result.error_index is not None else first
    if result.failure is not None or reached < first:
        return 0, initial
    for index in range(first - 1, -1, -1):
        outputs = result.outputs.get(index)
        if outputs:
            return first, outputs[-1].value
    return first, initial


def _array_map_upto(loaded: LoadedChain, step: int) -> bool:
    return any(m.info.kind is ModuleKind.ARRAY_MAP for m in loaded.modules[: step + 1])


def _fill_window(
    result: WindowResult,
    loaded: LoadedChain,
    processed: ProcessResult,
    base_offset: int,
    step: int | None,
) -> None:
    output = processed.output
    if step is not None and processed.step_outputs is not None:
        output = (
            processed.step_outputs[step] if step < len(processed.step_outputs) else b""
        )
    result.notices.extend(processed.notices)
    logs = _logs_of(processed)
    if logs:
        result.logs.append((None, logs))
    if processed.failure is not None:
        result.failure = processed.failure
        return

    records = _output_records(output) if output else []
    result.records_out = len(records)
    result.bytes_out = sum(len(r.value) + len(r.key or b"") for _, r in records)
    if processed.error is not None:
        result.error = processed.error
        result.error_index = processed.error.offset - base_offset
    last = result.error_index if result.error_index is not None else len(result.rows)
    for index in range(min(last, len(result.rows))):
        result.outputs[index] = []

    if loaded.has_array_map and (step is None or _array_map_upto(loaded, step)):
        result.stream = [record for _, record in records]
        result.attributed = False
        return
    for offset_delta, record in records:
        result.outputs.setdefault(offset_delta, []).append(record)


def _attribute_per_record(
    result: WindowResult,
    loaded: LoadedChain,
    first: int,
    initial: bytes | None,
    step: int | None,
    limits: Limits | None,
) -> None:
    # A separate chain, one call per row from ``first``, so the main run's state
    # is untouched. Offsets already place every output except array-map children
    # (and nothing survives a failed batch), so those are the only outputs taken
    # from here; logs and the failing row are taken for every kind.
    chain = loaded.build(initial, limits)
    replace_outputs = not result.attributed or result.failure is not None
    if replace_outputs:
        result.outputs.clear()
    keep_steps = step is not None and len(loaded.modules) > 1
    result.attributed_from = result.start + first
    try:
        for index in range(first, len(result.rows)):
            encoded, base_offset, base_timestamp = encode_rows([result.rows[index]])
            processed = chain.process(
                encoded, base_offset, base_timestamp, keep_steps=keep_steps
            )
            logs = _logs_of(processed)
            if logs:
                result.logs.append((index, logs))
            if processed.failure is not None or processed.error is not None:
                result.failure = processed.failure
                result.error = processed.error
                result.error_index = index
                break
            output = processed.output
            if step is not None and processed.step_outputs is not None:
                output = processed.step_outputs[step]
            decoded = _output_records(output) if output else []
            records = [record for _, record in decoded]
            if replace_outputs:
                result.outputs[index] = records
            elif records != result.outputs.get(index) and not result.attribution_note:
                result.attribution_note = _mismatch_note(result.rows[index])
    finally:
        chain.close()
    result.attributed = True


def _mismatch_note(row: InputRow) -> str:
    return (
        f"offset {row.offset}: run on its own, the record gave other output than "
        "in its batch (the module keeps state between records), so the log shown "
        "for it may differ too"
    )


# --- whole-topic runs ----------------------------------------------------------------


@dataclass
class TopicRunProgress:
    """Where a whole-topic run is; posted after every batch."""

    done: int
    total: int
    records_out: int
    bytes_in: int
    bytes_out: int
    seconds: float


@dataclass
class TopicRunSummary:
    """The outcome of a whole-topic run."""

    records_in: int
    records_out: int
    bytes_in: int
    bytes_out: int
    seconds: float
    output_topic: str | None
    source_offsets: array[int]
    """Input offset of each output record (-1 when unknown: array-map)."""
    checkpoints: list[tuple[int, bytes]]
    """(row index, aggregate accumulator before that row) at each batch start."""
    cancelled: bool = False
    last_value: bytes = b""
    """Value of the last output record (an aggregate's accumulator)."""
    error: TransformError | None = None
    """The record that failed; the run stopped there, the records before it count."""
    failure: str | None = None
    failed_offsets: tuple[int, int] | None = None
    """First and last offset of the batch whose call failed (with ``failure``)."""
    logs: list[tuple[int, int, str]] = field(default_factory=list)
    """(first offset, last offset, text) of the last batches that wrote something.

    Only the last :data:`RUN_LOGS_KEPT` are kept: a module that prints for every
    record would otherwise hold its whole output in memory for a long topic.
    """
    logged_batches: int = 0
    """Batches that wrote something, those let go from ``logs`` included."""


OutputWriter = Callable[[list[bytes], list[bytes | None]], None]
"""Receives a batch's output values and keys (a whole-topic run's topic)."""


def run_topic(
    loaded: LoadedChain,
    source: InputSource,
    write: OutputWriter | None,
    cancelled: Callable[[], bool],
    progress: Callable[[TopicRunProgress], None],
    output_topic: str | None = None,
    limits: Limits | None = None,
    resume: TopicRunSummary | None = None,
) -> TopicRunSummary:
    """Run the chain over the whole input in batches, streaming output to ``write``.

    Args:
        loaded: The compiled chain; one chain instance carries state across batches.
        source: The input rows.
        write: Receives each batch's output values and keys (e.g. a temporary
            topic).
        cancelled: Polled between batches; True stops the run.
        progress: Called after each batch.
        output_topic: Name reported in the summary.
        limits: Memory and time budgets.
        resume: A finished run's summary (a copy: it is extended in place) to
            continue from its last row, for records appended since.

    Returns:
        Counters, where the output went, and aggregate checkpoints.
    """
    began = time.perf_counter()
    total = source.count()
    summary = resume or TopicRunSummary(0, 0, 0, 0, 0.0, output_topic, array("q"), [])
    accumulator = _initial_accumulator(loaded)
    override = None
    if resume is not None and loaded.kind is ModuleKind.AGGREGATE:
        # A fresh chain carries on from the accumulator the last run ended with;
        # anything else a module keeps in its own memory starts over.
        accumulator = resume.last_value if resume.records_out else accumulator
        override = accumulator
    chain = loaded.build(override, limits)
    seconds_before = summary.seconds

    batches = input_batches(source, summary.records_in, total, TOPIC_RUN_BATCH)
    for batch in batches:
        if cancelled():
            summary.cancelled = True
            break
        start = summary.records_in
        summary.checkpoints.append((start, accumulator))
        stop = _run_batch(chain, loaded, batch, summary, write)
        if loaded.kind is ModuleKind.AGGREGATE and summary.records_out:
            accumulator = summary.last_value
        progress(
            TopicRunProgress(
                start + batch.count,
                total,
                summary.records_out,
                summary.bytes_in,
                summary.bytes_out,
                time.perf_counter() - began,
            )
        )
        if stop:
            break
    summary.seconds = seconds_before + time.perf_counter() - began
    return summary


def resumable_copy(summary: TopicRunSummary) -> TopicRunSummary:
    """A copy of a finished run that :func:`run_topic` may extend from a worker."""
    return replace(
        summary,
        source_offsets=array("q", summary.source_offsets),
        checkpoints=list(summary.checkpoints),
        logs=list(summary.logs),
    )


def _initial_accumulator(loaded: LoadedChain) -> bytes:
    initial = loaded.spec.steps[-1].initial
    return b"" if initial is None else initial.encode()


def _run_batch(
    chain: Any,
    loaded: LoadedChain,
    batch: InputBatch,
    summary: TopicRunSummary,
    write: OutputWriter | None,
) -> bool:
    processed: ProcessResult = chain.process(
        batch.records, batch.base_offset, batch.base_timestamp
    )
    logs = _logs_of(processed)
    if logs:
        summary.logs.append((batch.first_offset, batch.last_offset, logs))
        summary.logged_batches += 1
        if len(summary.logs) > RUN_LOGS_KEPT:
            del summary.logs[0]
    if processed.failure is not None:
        # The whole call failed: nothing of this batch counts as processed.
        summary.failure = processed.failure
        summary.failed_offsets = (batch.first_offset, batch.last_offset)
        return True

    inputs = decode_fields(batch.records)
    if processed.error is not None:
        # The records after the failing one never ran, so they are not counted.
        done = processed.error.offset - batch.first_offset
        inputs = inputs[: min(max(0, done), batch.count)]
    summary.records_in += len(inputs)
    summary.bytes_in += sum(len(value) + len(key or b"") for *_, key, value in inputs)

    outputs = decode_fields(processed.output) if processed.output else []
    offsets = summary.source_offsets
    if loaded.has_array_map:
        offsets.extend([-1] * len(outputs))
    else:
        base = batch.base_offset
        offsets.extend([base + delta for delta, *_ in outputs])
    keys = [key for _, _, key, _ in outputs]
    values = [value for *_, value in outputs]
    summary.records_out += len(outputs)
    summary.bytes_out += sum(map(len, values)) + sum(len(k) for k in keys if k)
    if values:
        summary.last_value = values[-1]
    if write is not None and values:
        write(values, keys)
    if processed.error is not None:
        summary.error = processed.error
        return True
    return False


def checkpoint_before(
    checkpoints: Sequence[tuple[int, bytes]], index: int
) -> tuple[int, bytes] | None:
    """The last checkpoint at or before row ``index``."""
    position = bisect.bisect_right([start for start, _ in checkpoints], index)
    return checkpoints[position - 1] if position else None


def iter_pages(
    source: InputSource, page: int = TOPIC_RUN_BATCH
) -> Iterator[list[InputRow]]:
    """All rows of ``source`` in pages (for search and export)."""
    start = 0
    while True:
        rows = source.rows(start, page)
        if not rows:
            return
        yield rows
        start += len(rows)


@dataclass
class BenchServices:
    """What benches share: the workspace, its broker, and display settings."""

    workspace: Path
    broker: Broker
    deterministic: bool = False
    """Tests: no timers, no clocks, no timing figures, so screens repeat exactly."""
    limits: Limits = field(default_factory=Limits)
    """Budgets for every chain the benches build."""
    poll_topics: bool = True
    """Check the topics for appended records twice a second."""

    def open_registry(self) -> Any:
        """A registry connection for the calling thread (closed by the caller)."""
        from workbench.engine.registry import Registry

        return Registry.open(self.workspace)

    def open_broker(self) -> Broker:
        """A broker connection of the calling worker's own (closed by the caller)."""
        from workbench.engine.broker import Broker

        return Broker.open(self.workspace)

    def temporary_topic_name(self) -> str:
        """A fresh name for a whole-topic run's output, naming this process."""
        import uuid

        return f"{RUN_TOPIC_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:10]}"


RUN_TOPIC_PREFIX = "smartbench-run-"
"""Whole-topic runs write their output to topics named with this prefix."""


def is_run_topic(name: str) -> bool:
    """A whole-topic run's temporary output topic (hidden from lists)."""
    return name.startswith(RUN_TOPIC_PREFIX)


def orphaned_run_topics(names: list[str]) -> list[str]:
    """Run topics whose app is gone: killed, or its terminal closed, before cleanup.

    The name carries the pid of the app that made it; a topic of a live process
    belongs to another workbench open on the same workspace and is left alone.
    """
    orphans = []
    for name in names:
        if not is_run_topic(name):
            continue
        pid_text = name[len(RUN_TOPIC_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or not _process_is_alive(int(pid_text)):
            orphans.append(name)
    return orphans


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OverflowError:
        return False
    return True


# --- watch -------------------------------------------------------------------------


def watch_window(spec: BenchSpec, rows: list[InputRow], limits: Limits) -> Any:
    """The rows on screen as a fixed window the watcher re-runs with each build."""
    from workbench.engine.broker import StoredBatch
    from workbench.engine.window import ChainWindow

    batches: tuple[Any, ...] = ()
    if rows:
        encoded, base_offset, base_timestamp = encode_rows(rows)
        batch = StoredBatch(
            spec.partition, base_offset, base_timestamp, base_offset, len(rows), encoded
        )
        batches = (batch,)
    step = spec.steps[0]
    initial = b"" if step.initial is None else step.initial.encode()
    return ChainWindow(
        batches,
        params=dict(step.params),
        initial=initial,
        abi_version=spec.abi_version,
        limits=limits,
    )


def watched_path(spec: BenchSpec, registered_source: str | None) -> Path | None:
    """The file watch follows: the module's path, or a registered one's source."""
    step = spec.steps[0]
    if step.is_path:
        return Path(step.module)
    source = spec.source_path or registered_source
    return Path(source) if source else None
