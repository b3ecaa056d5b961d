"""Handlers of `topic`, `partition` and `produce`: thin layers over the broker."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from workbench.engine.batches import decode_fields, encode_batch
from workbench.engine.broker import Broker, RecordTooLargeError, now_ms
from workbench.engine.manifest import read_manifest
from workbench.errors import (
    EXIT_OK,
    EXIT_RUNTIME,
    ModuleRuntimeError,
    RecordsRefusedError,
    UsageError,
)
from workbench.produce_input import (
    LineTooLongError,
    count_remaining,
    read_all,
    read_chunks,
)
from workbench.stream_modules import chain_builder, module_plan
from workbench.tables import human_size, render_table
from workbench.workspace import Workspace, open_workspace

# --- topic and partition ---------------------------------------------------------


def topic_create(args: argparse.Namespace) -> int:
    """`topic create NAME [-p N]`."""
    workspace = open_workspace(args)
    workspace.broker.create_topic(args.name, args.partitions)
    print(f'topic "{args.name}" created')
    return EXIT_OK


def topic_list(args: argparse.Namespace) -> int:
    """`topic list`: name, partitions, records, size."""
    topics = open_workspace(args).broker.list_topics()
    if not topics:
        print("No topics found")
        return EXIT_OK
    rows = [(t.name, t.partitions, t.records, human_size(t.size)) for t in topics]
    print(render_table(("NAME", "PARTITIONS", "RECORDS", "SIZE"), rows, (1, 2, 3)))
    return EXIT_OK


def topic_delete(args: argparse.Namespace) -> int:
    """`topic delete NAME...`."""
    broker = open_workspace(args).broker
    for name in args.names:
        broker.delete_topic(name)
        print(f'topic "{name}" deleted')
    return EXIT_OK


def topic_load(args: argparse.Namespace) -> int:
    """`topic load DIR`: create the topics and modules a `topics.toml` lists."""
    manifest = read_manifest(Path(args.directory))
    workspace = open_workspace(args)
    report = workspace.load_manifest(manifest)

    for name, count in report.created_topics:
        print(f'topic "{name}" created with {count} records')
    for name in report.existing_topics:
        print(f'topic "{name}" already exists; left as it is', file=sys.stderr)
    for name in report.registered_modules:
        print(f'smartmodule "{name}" has been created.')
    for name in report.existing_modules:
        print(f'smartmodule "{name}" already exists; left as it is', file=sys.stderr)
    for name, reason in report.failed_modules:
        print(f'smartmodule "{name}" not registered: {reason}', file=sys.stderr)
    return EXIT_RUNTIME if report.failed_modules else EXIT_OK


def partition_list(args: argparse.Namespace) -> int:
    """`partition list [TOPIC]`: TOPIC PARTITION BASE HW SIZE."""
    partitions = open_workspace(args).broker.partitions(args.topic)
    if not partitions:
        print("No partitions found")
        return EXIT_OK
    rows = [
        (p.topic, p.partition, p.base, p.hw, human_size(p.size)) for p in partitions
    ]
    header = ("TOPIC", "PARTITION", "BASE", "HW", "SIZE")
    print(render_table(header, rows, (1, 2, 3, 4)))
    return EXIT_OK


# --- produce -----------------------------------------------------------------------


class _Producer:
    """Turns input lines into records and commits them chunk by chunk."""

    def __init__(self, args: argparse.Namespace, workspace: Workspace) -> None:
        self.broker: Broker = workspace.broker
        self.topic: str = args.topic
        self.partition: int | None = args.partition
        self.key = os.fsencode(args.key) if args.key is not None else None
        self.separator = (
            os.fsencode(args.key_separator) if args.key_separator is not None else None
        )
        self.interactive = args.file is None and sys.stdin.isatty()
        self.verbose: bool = args.verbose
        self.skipped = 0
        plan = module_plan(args, workspace)
        self.chain = None if plan is None else chain_builder(plan, _no_lookback)(0)
        self.records_in = 0

    def send(self, values: list[bytes], keys: list[bytes | None] | None) -> None:
        if self.chain is not None and values:
            self._send_transformed(values, keys)
        elif values:
            self.broker.produce(self.topic, values, keys, partition=self.partition)
        if self.interactive:
            for _ in values:
                print("Ok!", flush=True)

    def _send_transformed(
        self, values: list[bytes], keys: list[bytes | None] | None
    ) -> None:
        # What is stored is the chain's output, as on a Fluvio producer: one
        # engine call per chunk, input offsets counting the records read so far.
        assert self.chain is not None
        now = now_ms()
        result = self.chain.process(encode_batch(values, keys), self.records_in, now)
        self.records_in += len(values)
        for data in (result.stdout, result.stderr):
            if data:
                sys.stderr.buffer.write(data)
                sys.stderr.flush()
        for notice in result.notices:
            print(notice, file=sys.stderr)
        if result.failure is not None:
            raise ModuleRuntimeError(result.failure)

        fields = decode_fields(result.output)
        if fields:
            out_keys = [field[2] for field in fields]
            self.broker.produce(
                self.topic,
                [field[3] for field in fields],
                out_keys if any(key is not None for key in out_keys) else None,
                [now + field[1] for field in fields],
                partition=self.partition,
            )
        if result.error is not None:
            raise ModuleRuntimeError(result.error.render())

    def close(self) -> None:
        if self.chain is not None:
            self.chain.close()

    def split(
        self, first_line: int, lines: list[bytes]
    ) -> tuple[list[bytes], list[bytes | None] | None]:
        if self.separator is None:
            return lines, None if self.key is None else [self.key] * len(lines)
        values: list[bytes] = []
        keys: list[bytes | None] = []
        for number, line in enumerate(lines, first_line):
            key, found, value = line.partition(self.separator)
            if found and _is_utf8(line):
                keys.append(key)
                values.append(value)
                if self.verbose:
                    print(f"[{key.decode()}] {value.decode()}")
                continue
            self.skipped += 1
            print(self._skip_message(number, line), file=sys.stderr)
        return values, keys

    def _skip_message(self, number: int, line: bytes) -> str:
        if not _is_utf8(line):
            return f"line {number}: not valid UTF-8, skipping"
        separator = (self.separator or b"").decode()
        return (
            f"line {number}: Failed to find separator '{separator}' in record, "
            f"skipping: '{line.decode()}'"
        )


def produce(args: argparse.Namespace) -> int:
    """`produce TOPIC`: one record per input line (or all input with `--raw`)."""
    _check_produce_options(args)
    workspace = open_workspace(args)
    workspace.broker.partitions(args.topic)  # an unknown topic fails before reading
    if args.partition is not None:
        workspace.broker.high_watermark(args.topic, args.partition)
    producer = _Producer(args, workspace)

    source = open(args.file, "rb") if args.file else None  # noqa: SIM115
    try:
        fd = source.fileno() if source is not None else sys.stdin.fileno()
        if args.raw:
            _produce_raw(producer, fd)
        else:
            _produce_lines(producer, fd)
    finally:
        producer.close()
        if source is not None:
            source.close()
    return EXIT_RUNTIME if producer.skipped else EXIT_OK


def _no_lookback(partition: int) -> None:
    return None


def _check_produce_options(args: argparse.Namespace) -> None:
    if args.key_separator is not None:
        if args.key_separator == "":
            raise UsageError(
                "--key-separator must be non-empty. If using '=', type it as "
                "'--key-separator \"=\"'"
            )
        if args.key is not None:
            raise UsageError("--key and --key-separator cannot be used together")
        if args.raw:
            raise UsageError("--raw and --key-separator cannot be used together")
    if args.file is not None:
        # Pipes and process substitutions (/dev/fd/N) are as good as files.
        source = Path(args.file)
        if source.is_dir():
            raise UsageError(f"{args.file}: is a directory, not a file of records")
        if not source.exists():
            raise UsageError(f"{args.file}: no such file")


def _produce_raw(producer: _Producer, fd: int) -> None:
    limit = producer.broker.max_record_size
    data = read_all(fd, limit)
    if len(data) > limit:
        # read_all stops past the limit; count the rest so the message is exact.
        size = len(data) + count_remaining(fd)
        raise RecordsRefusedError(_too_large(size, limit, "input"))
    try:
        producer.send([data], None if producer.key is None else [producer.key])
    except RecordTooLargeError as error:
        raise RecordsRefusedError(_too_large(error.size, limit, "input")) from None


def _produce_lines(producer: _Producer, fd: int) -> None:
    limit = producer.broker.max_record_size
    if producer.interactive:
        print("> ", end="", file=sys.stderr, flush=True)
    try:
        for chunk in read_chunks(fd, limit):
            values, keys = producer.split(chunk.first_line, chunk.lines)
            try:
                producer.send(values, keys)
            except RecordTooLargeError as error:
                number = _line_of(producer, chunk.first_line, chunk.lines, error.index)
                raise RecordsRefusedError(
                    _too_large(error.size, limit, f"line {number}")
                ) from None
            if producer.interactive:
                print("> ", end="", file=sys.stderr, flush=True)
    except LineTooLongError as error:
        where = f"line {error.line_number}"
        raise RecordsRefusedError(_too_large(error.size, limit, where)) from None
    if producer.interactive:
        # As Fluvio's producer does once the input ends.
        print("Ok!", flush=True)


def _line_of(
    producer: _Producer, first_line: int, lines: list[bytes], index: int
) -> int:
    # With a key separator, skipped lines shift record indexes against line numbers.
    if producer.separator is None:
        return first_line + index
    kept = -1
    for number, line in enumerate(lines, first_line):
        if producer.separator in line and _is_utf8(line):
            kept += 1
            if kept == index:
                return number
    return first_line + index


def _too_large(size: int, limit: int, where: str) -> str:
    return (
        f"{where}: record of {size} bytes exceeds the maximum record size of "
        f"{limit} bytes (--max-record-size); the records before it were stored"
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
