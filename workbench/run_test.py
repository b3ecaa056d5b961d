"""`smartbench test`: run a module or a chain over test records, print the output.

Input records get offsets 0, 1, 2, … across batches and one base timestamp; each
batch is one call per step. stdout carries only the formatted records, so it can be
piped or compared with ``--expect``; module logs, skipped lines, counts and errors
go to stderr.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from workbench.engine.batches import decode_fields, encode_batch
from workbench.engine.records import encode_values, record_count
from workbench.engine.types import LookbackConfig, ProcessResult
from workbench.errors import EXIT_OK, EXIT_RUNTIME, UsageError
from workbench.formats import Formatter, ShownRecord, formatter
from workbench.inputs import (
    InputRecords,
    check_key_options,
    records_from_data,
    records_from_lines,
    split_lines,
)
from workbench.module_args import ChainPlan, plan_chain, transform_steps

if TYPE_CHECKING:
    from workbench.engine import StepConfig

LookbackSource = Callable[[int, LookbackConfig], bytes | None]


@dataclass
class RunOutcome:
    """What a run printed and how it ended."""

    lines: list[str] = field(default_factory=list)
    """Every printed line, kept only when ``--expect`` needs them."""
    records_out: int = 0
    batches: int = 0
    failed: bool = False


def run_test(args: argparse.Namespace) -> int:
    """Handler of `smartbench test`."""
    _check_options(args)
    records = read_input(args)
    expected = _expected_lines(args)
    lookback = _single_module_lookback(args)
    plan = plan_chain(args, args.wasm_file, lookback=lookback)
    show = formatter(args.output)

    for message in records.skipped:
        _stderr(message)
    if args.record and lookback is None and not _chain_has_lookback(plan.steps):
        _stderr("note: --record values are only used with --lookback-last N")

    chain = _build_chain(plan, lookback_records(args.record))
    try:
        outcome = _run_batches(chain, records, args, show)
    finally:
        chain.close()

    exit_code = EXIT_RUNTIME if outcome.failed or records.skipped else EXIT_OK
    if args.verbose:
        _report_counts(outcome, records)
    if expected is not None and not _output_matches(
        Path(args.expect), expected, outcome
    ):
        exit_code = EXIT_RUNTIME
    return exit_code


def _check_options(args: argparse.Namespace) -> None:
    # Said in this command's own flags before anything is read or loaded.
    has_chain = args.transforms is not None or bool(args.transforms_line)
    if args.wasm_file is None and not has_chain:
        raise UsageError(
            "no module: give --wasm-file PATH, -t FILE or --transform JSON"
        )
    if args.wasm_file is not None and has_chain:
        raise UsageError("--wasm-file cannot be used with -t/--transforms-line")
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if args.raw and args.text:
        raise UsageError("--raw applies to --file or --stdin, not to --text")
    timestamp = args.base_timestamp
    if timestamp is not None and not -(2**63) <= timestamp < 2**63:
        raise UsageError(
            f"--base-timestamp {timestamp} does not fit a 64-bit millisecond time"
        )


def read_input(args: argparse.Namespace) -> InputRecords:
    """The input records from ``--text``, ``--file`` or ``--stdin``.

    Raises:
        UsageError: no input option, bad key options, or an unreadable file.
    """
    check_key_options(args.key, args.key_separator, args.raw)
    key = None if args.key is None else os.fsencode(args.key)
    separator = None if args.key_separator is None else os.fsencode(args.key_separator)

    if args.text:
        texts = [os.fsencode(text) for text in args.text]
        return records_from_lines(
            texts, key=key, key_separator=separator, label="--text"
        )
    if args.file is not None:
        data = _read_file(Path(args.file))
    elif args.stdin:
        data = sys.stdin.buffer.read()
    else:
        raise UsageError("no input: give --text S, --file F or --stdin")
    return records_from_data(data, raw=args.raw, key=key, key_separator=separator)


def lookback_records(values: list[str]) -> LookbackSource:
    """A lookback source serving the ``--record`` values as fresh records."""
    encoded_values = [os.fsencode(value) for value in values]

    def source(step_index: int, lookback: LookbackConfig) -> bytes | None:
        # Fresh records are younger than any age, so only `last` can narrow them.
        chosen = encoded_values
        if lookback.last > 0:
            chosen = encoded_values[-lookback.last :]
        elif lookback.age_seconds is None:
            chosen = []
        return encode_values(chosen) if chosen else None

    return source


class BatchRunner(Protocol):
    """What the batch loop needs from a chain."""

    def process(
        self, records: bytes, base_offset: int, base_timestamp: int
    ) -> ProcessResult:
        """Run one encoded batch."""
        ...

    def close(self) -> None:
        """Release the chain's instances and capture files."""
        ...


class _PassThrough:
    """An empty transforms list: records come out as they went in, as in Fluvio."""

    def process(
        self, records: bytes, base_offset: int, base_timestamp: int
    ) -> ProcessResult:
        count = record_count(records)
        return ProcessResult(output=records, records_in=count, records_out=count)

    def close(self) -> None:
        """Nothing to release."""


def _build_chain(plan: ChainPlan, lookback: LookbackSource) -> BatchRunner:
    if not plan.steps:
        return _PassThrough()

    from workbench.engine import Chain, ChainSetupError

    try:
        return Chain.build(
            plan.steps,
            abi_version=plan.abi_version,
            limits=plan.limits,
            lookback_source=lookback,
        )
    except ChainSetupError as error:
        # A panicking init explains itself on stderr; show that before our summary.
        _write_captured(error.stdout, error.stderr)
        raise


def _single_module_lookback(args: argparse.Namespace) -> LookbackConfig | None:
    if args.lookback_last is None:
        return None
    if args.lookback_last < 0:
        raise UsageError("--lookback-last must be 0 or more")
    if transform_steps(args) is not None:
        raise UsageError(
            "--lookback-last applies to one module; with -t put lookback: "
            "{last: N} in the step"
        )
    return LookbackConfig(last=args.lookback_last)


def _chain_has_lookback(steps: Sequence[StepConfig]) -> bool:
    return any(step.lookback is not None for step in steps)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise UsageError(f"cannot read {path}: {reason}") from error


def _batches(records: InputRecords, size: int) -> Iterator[tuple[int, bytes]]:
    for start in range(0, len(records), size):
        end = start + size
        yield start, encode_batch(records.values[start:end], records.keys[start:end])


def _run_batches(
    chain: BatchRunner, records: InputRecords, args: argparse.Namespace, show: Formatter
) -> RunOutcome:
    outcome = RunOutcome()
    base_timestamp = args.base_timestamp
    if base_timestamp is None:
        base_timestamp = time.time_ns() // 1_000_000

    for base_offset, batch in _batches(records, args.batch_size):
        result = chain.process(batch, base_offset, base_timestamp)
        outcome.batches += 1
        _print_logs(result)
        _print_records(result, base_offset, base_timestamp, args, show, outcome)

        if result.error is not None:
            _stderr(result.error.render())
        if result.failure is not None:
            _stderr(result.failure)
        if not result.ok:
            outcome.failed = True
            break
    return outcome


def _print_records(
    result: ProcessResult,
    base_offset: int,
    base_timestamp: int,
    args: argparse.Namespace,
    show: Formatter,
    outcome: RunOutcome,
) -> None:
    if result.failure is not None:
        return
    lines = [
        show(
            ShownRecord(
                offset=base_offset + offset_delta,
                timestamp=base_timestamp + timestamp_delta,
                key=key,
                value=value,
            ),
            args.key_value,
        )
        for offset_delta, timestamp_delta, key, value in decode_fields(result.output)
    ]

    outcome.records_out += len(lines)
    if args.expect is not None:
        outcome.lines.extend(lines)
    if lines:
        sys.stdout.buffer.write(_joined(lines))
        sys.stdout.buffer.flush()


def _print_logs(result: ProcessResult) -> None:
    # The module's own prints come first, as they happened before its output.
    _write_captured(result.stdout, result.stderr)
    for notice in result.notices:
        _stderr(notice)


def _write_captured(*captured_streams: bytes) -> None:
    for captured in captured_streams:
        if captured:
            sys.stdout.flush()
            sys.stderr.buffer.write(captured)
            sys.stderr.buffer.flush()


def _report_counts(outcome: RunOutcome, records: InputRecords) -> None:
    _stderr(f"{outcome.records_out} records outputted")
    _stderr(f"{len(records)} records in, {outcome.batches} batches")
    if records.skipped:
        _stderr(f"{len(records.skipped)} lines skipped")


def _expected_lines(args: argparse.Namespace) -> list[str] | None:
    if args.expect is None:
        return None
    data = _read_file(Path(args.expect))
    return [line.decode("utf-8", "replace") for line in split_lines(data)]


def _output_matches(
    expected_path: Path, expected: list[str], outcome: RunOutcome
) -> bool:
    # A value with a newline prints as several lines; compare what a reader sees.
    actual = [line.decode("utf-8") for line in split_lines(_joined(outcome.lines))]
    if actual == expected:
        return True

    diff = difflib.unified_diff(
        expected, actual, fromfile=str(expected_path), tofile="output", lineterm=""
    )
    _stderr(f"output differs from {expected_path}:")
    _stderr("\n".join(diff))
    return False


def _joined(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _stderr(message: str) -> None:
    sys.stdout.flush()
    print(message, file=sys.stderr, flush=True)
