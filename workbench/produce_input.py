"""Reading `produce` input in commit-sized chunks.

Lines are read in large blocks straight from the file descriptor and split in C,
so a piped file of millions of lines is not read one Python call per line. A chunk
ends at 10,000 lines, or 100 ms after its first line arrived, so slow or typed
input is committed promptly while a fast pipe is committed in large batches. Lines
follow the same rules as `smartbench test`: split on ``\\n``, one trailing ``\\r``
removed, a last line without a newline still counts.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator
from dataclasses import dataclass

CHUNK_RECORDS = 10_000
CHUNK_SECONDS = 0.1
READ_SIZE = 1 << 20


class LineTooLongError(Exception):
    """A line grew past the record size limit before its newline arrived."""

    def __init__(self, line_number: int, size: int) -> None:
        super().__init__(f"line {line_number} has at least {size} bytes")
        self.line_number = line_number
        self.size = size


@dataclass(frozen=True)
class LineChunk:
    """Consecutive input lines; ``first_line`` is the 1-based number of the first."""

    first_line: int
    lines: list[bytes]


def read_chunks(
    fd: int,
    max_line: int,
    chunk_records: int = CHUNK_RECORDS,
    chunk_seconds: float = CHUNK_SECONDS,
) -> Iterator[LineChunk]:
    """Yield lines from ``fd`` in chunks of at most ``chunk_records`` lines.

    Raises:
        LineTooLongError: A line is longer than ``max_line`` bytes; the chunks
            before it have been yielded.
    """
    pending: list[bytes] = []
    remainder = b""
    next_line = 1
    first_arrival = 0.0
    while True:
        while len(pending) >= chunk_records:
            yield LineChunk(next_line, pending[:chunk_records])
            next_line += chunk_records
            pending = pending[chunk_records:]

        wait = None
        if pending:
            wait = max(0.0, first_arrival + chunk_seconds - time.monotonic())
        if wait == 0.0 or not _readable(fd, wait):
            yield LineChunk(next_line, pending)
            next_line += len(pending)
            pending = []
            continue

        data = os.read(fd, READ_SIZE)
        if not data:
            break
        if not pending:
            first_arrival = time.monotonic()
        block = remainder + data if remainder else data
        parts = block.split(b"\n")
        remainder = parts.pop()
        # Most input has no \r at all; one search of the block saves a pass.
        pending.extend(_strip_returns(parts) if b"\r" in block else parts)
        if len(remainder) > max_line + 1:
            yield LineChunk(next_line, pending)
            raise LineTooLongError(next_line + len(pending), len(remainder))

    if remainder:
        pending.extend(_strip_returns([remainder]))
    for start in range(0, len(pending), chunk_records):
        yield LineChunk(next_line + start, pending[start : start + chunk_records])


def read_all(fd: int, limit: int) -> bytes:
    """Everything from ``fd``, stopping once more than ``limit`` bytes arrived."""
    blocks: list[bytes] = []
    total = 0
    while total <= limit:
        data = os.read(fd, READ_SIZE)
        if not data:
            break
        blocks.append(data)
        total += len(data)
    return b"".join(blocks)


def count_remaining(fd: int) -> int:
    """Read ``fd`` to its end, keeping nothing, and return how many bytes it had."""
    total = 0
    while data := os.read(fd, READ_SIZE):
        total += len(data)
    return total


def _readable(fd: int, timeout: float | None) -> bool:
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready)


def _strip_returns(lines: list[bytes]) -> list[bytes]:
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]
