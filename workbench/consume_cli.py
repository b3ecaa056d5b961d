"""`consume TOPIC`: read records, optionally through SmartModules, and print them.

Each stored batch goes to its partition's chain as it is stored, one engine call
per batch (runs of small batches, such as records typed one at a time, are merged
into one call first), so aggregate and chain state is per partition. Printed offsets are
input offsets: a filtered record leaves a gap, a mapped or aggregated record
shows the offset it came from, and array-map children show the first input offset
of their engine call. With several partitions, records are merged by timestamp,
then partition, then offset. ``--end`` is judged on input offsets, so a filter
that drops the end record still stops the consumer.
"""

from __future__ import annotations

import argparse
import heapq
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from workbench.consume_formats import OutRecord, RecordPrinter
from workbench.engine.batches import decode_values, iter_fields
from workbench.engine.broker import Broker, StoredBatch, coalesce_batches
from workbench.engine.types import ModuleKind
from workbench.errors import EXIT_OK, EXIT_RUNTIME, UsageError
from workbench.stream_modules import chain_builder, module_plan
from workbench.workspace import Workspace, open_workspace

if TYPE_CHECKING:
    from workbench.engine.chain import Chain, LookbackSource
    from workbench.engine.types import LookbackConfig

END_REACHED_MESSAGE = "End-offset has been reached; exiting"
POLL_SECONDS = 0.05
MERGE_BLOCK = 1000

ChainFactory = Callable[[int], "Chain"]
"""Builds the chain of one partition (its own instances and accumulators)."""


class ModuleFailed(Exception):
    """A chain returned an error or failed; ``message`` is what the user reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class PartitionCursor:
    """Where one partition's reading stands and where it stops."""

    partition: int
    position: int
    stop: int | None
    """Offset to stop before (``--end`` + 1, or the end for ``-d``); None: never."""
    end: int | None
    """``--end`` + 1, when given."""
    chain: Chain | None = None

    @property
    def finished(self) -> bool:
        return self.stop is not None and self.position >= self.stop

    @property
    def reached_end(self) -> bool:
        return self.end is not None and self.position >= self.end


def consume(args: argparse.Namespace) -> int:
    """`consume TOPIC [-B | -H N | -T N | --start N] [--end N] [-d] [-p P] …`."""
    printer = _printer(args)
    workspace = open_workspace(args)
    broker = workspace.broker
    cursors = _cursors(args, broker)
    chain_factory = _chain_factory(args, workspace)
    _status_line(args)

    out = sys.stdout.buffer
    try:
        if chain_factory is not None:
            # Every partition's chain runs init (and look_back) before any record.
            for cursor in cursors:
                cursor.chain = chain_factory(cursor.partition)
        reached_end = _consume_loop(
            broker, args.topic, cursors, chain_factory, printer, out
        )
    except ModuleFailed as failure:
        out.flush()
        print(failure.message, file=sys.stderr)
        return EXIT_RUNTIME
    finally:
        for cursor in cursors:
            if cursor.chain is not None:
                cursor.chain.close()
    out.flush()
    if reached_end:
        print(END_REACHED_MESSAGE, file=sys.stderr)
    return EXIT_OK


def _printer(args: argparse.Namespace) -> RecordPrinter:
    output = (args.output or "dynamic").lower()
    if args.format is not None and args.output is not None:
        raise UsageError("-F/--format and -O/--output cannot be used together")
    return RecordPrinter(output, args.format, args.key_value, args.suppress_unknown)


def _cursors(args: argparse.Namespace, broker: Broker) -> list[PartitionCursor]:
    infos = broker.partitions(args.topic)
    wanted = sorted(set(args.partition)) if args.partition else None
    if wanted is not None:
        for number in wanted:
            broker.high_watermark(args.topic, number)  # unknown partition fails
    for flag, value in (("-H", args.head), ("-T", args.tail), ("--start", args.start)):
        if value is not None and value < 0:
            raise UsageError(f"{flag}: {value} is negative; offsets start at 0")
    if args.end is not None and args.end < 0:
        raise UsageError(f"--end: {args.end} is negative; offsets start at 0")
    if args.end is not None and args.start is not None and args.end < args.start:
        raise UsageError(
            f"Argument end-offset must be greater than or equal to specified start "
            f"offset (End offset: {args.end} cannot be less than starting offset: "
            f"{args.start})"
        )

    cursors = []
    for info in infos:
        if wanted is not None and info.partition not in wanted:
            continue
        start = _start_offset(args, info.base, info.hw)
        end = None if args.end is None else args.end + 1
        stop = end
        if args.disable_continuous:
            stop = info.hw if end is None else min(end, info.hw)
        cursors.append(PartitionCursor(info.partition, start, stop, end))
    return cursors


def _start_offset(args: argparse.Namespace, base: int, hw: int) -> int:
    # Relative starts are clamped into [first stored offset, high watermark];
    # an absolute --start is taken as given.
    if args.beginning:
        return base
    if args.head is not None:
        return max(base, min(base + int(args.head), hw))
    if args.tail is not None:
        return max(base, hw - int(args.tail))
    if args.start is not None:
        return int(args.start)
    return hw


def _status_line(args: argparse.Namespace) -> None:
    if not sys.stdout.isatty():
        return
    text = f"Consuming records from '{args.topic}'"
    if args.beginning:
        text += " starting from the beginning of log"
    elif args.head is not None:
        text += f" starting {args.head} from the beginning of log"
    elif args.tail is not None:
        text += f" starting {args.tail} from the end of log"
    elif args.start is not None:
        text += f" starting at offset {args.start}"
    if args.end is not None:
        text += f" until offset {args.end} (inclusive)"
    print(f"\x1b[1m{text}\x1b[0m", file=sys.stderr)


def _chain_factory(
    args: argparse.Namespace, workspace: Workspace
) -> ChainFactory | None:
    plan = module_plan(args, workspace)
    if plan is None:
        return None
    broker = workspace.broker
    topic: str = args.topic

    def lookback_for(partition: int) -> LookbackSource:
        def history(step_index: int, config: LookbackConfig) -> bytes | None:
            return broker.history(topic, partition, config.last, config.age_seconds)

        return history

    return chain_builder(plan, lookback_for)


def _consume_loop(
    broker: Broker,
    topic: str,
    cursors: list[PartitionCursor],
    chain_factory: ChainFactory | None,
    printer: RecordPrinter,
    out: BinaryIO,
) -> bool:
    """Read until every cursor is finished, waiting for records when idle.

    Returns True when every partition stopped at ``--end``, so the caller says so.
    """
    while True:
        token = broker.change_token()
        readers = [
            _partition_records(broker, topic, cursor, chain_factory)
            for cursor in cursors
            if not cursor.finished
        ]
        if len(readers) == 1 and chain_factory is None and printer.values_only:
            _write_values(broker, topic, _active(cursors), printer, out)
        elif len(readers) == 1:
            for block in readers[0]:
                out.write(printer.render(block))
        elif readers:
            _write_merged(readers, printer, out)
        out.flush()

        if all(cursor.finished for cursor in cursors):
            return bool(cursors) and all(cursor.reached_end for cursor in cursors)
        while broker.change_token() == token:
            time.sleep(POLL_SECONDS)


def _active(cursors: list[PartitionCursor]) -> PartitionCursor:
    return next(cursor for cursor in cursors if not cursor.finished)


def _write_values(
    broker: Broker,
    topic: str,
    cursor: PartitionCursor,
    printer: RecordPrinter,
    out: BinaryIO,
) -> None:
    # The plain case (one partition, no module, values only) skips building
    # per-record tuples: it is what piping a topic somewhere costs.
    batches = broker.read_batches(topic, cursor.partition, cursor.position, cursor.stop)
    for batch in batches:
        out.write(printer.render_values(decode_values(batch.records)))
        cursor.position = batch.next_offset


def _write_merged(
    readers: list[Iterator[list[OutRecord]]], printer: RecordPrinter, out: BinaryIO
) -> None:
    flattened = [(record for block in reader for record in block) for reader in readers]
    block: list[OutRecord] = []
    for record in heapq.merge(*flattened, key=lambda r: (r[0], r[1], r[2])):
        block.append(record)
        if len(block) >= MERGE_BLOCK:
            out.write(printer.render(block))
            block = []
    out.write(printer.render(block))


def _partition_records(
    broker: Broker,
    topic: str,
    cursor: PartitionCursor,
    chain_factory: ChainFactory | None,
) -> Iterator[list[OutRecord]]:
    """Output records of one partition, a block per engine call, up to now."""
    batches = broker.read_batches(topic, cursor.partition, cursor.position, cursor.stop)
    if cursor.chain is not None and _may_merge(cursor.chain):
        batches = coalesce_batches(batches)
    for batch in batches:
        if chain_factory is None:
            block = _plain_records(batch)
        else:
            if cursor.chain is None:
                cursor.chain = chain_factory(cursor.partition)
            try:
                block = _processed_records(cursor.chain, batch)
            except _FailedAfter as failed:
                yield failed.records
                raise ModuleFailed(failed.message) from None
        cursor.position = batch.next_offset
        yield block


def _may_merge(chain: Chain) -> bool:
    # Array-map children show the first input offset of their engine call, so
    # merging stored batches would move them; other kinds keep input offsets.
    return all(info.kind is not ModuleKind.ARRAY_MAP for info in chain.infos)


def _plain_records(batch: StoredBatch) -> list[OutRecord]:
    base_offset = batch.base_offset
    base_timestamp = batch.base_timestamp
    partition = batch.partition
    return [
        (base_timestamp + stamp, partition, base_offset + delta, key, value)
        for delta, stamp, key, value in iter_fields(batch.records)
    ]


def _processed_records(chain: Chain, batch: StoredBatch) -> list[OutRecord]:
    result = chain.process(batch.records, batch.base_offset, batch.base_timestamp)
    for stream, data in ((sys.stderr, result.stderr), (sys.stderr, result.stdout)):
        if data:
            stream.buffer.write(data)
            stream.flush()
    for notice in result.notices:
        print(notice, file=sys.stderr)
    if result.failure is not None:
        raise ModuleFailed(result.failure)

    first = batch.first_offset
    records = [
        (
            batch.base_timestamp + stamp,
            batch.partition,
            max(first, batch.base_offset + delta),
            key,
            value,
        )
        for delta, stamp, key, value in iter_fields(result.output)
    ]
    if result.error is not None:
        raise _FailedAfter(records, result.error.render())
    return records


class _FailedAfter(ModuleFailed):
    """A module error with the records produced before it, still to be printed."""

    def __init__(self, records: list[OutRecord], message: str) -> None:
        super().__init__(message)
        self.records = records
