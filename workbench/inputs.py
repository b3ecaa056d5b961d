"""How typed or piped input becomes records, shared by `test` and `produce`.

Lines are split on ``\\n`` with one trailing ``\\r`` removed, so Windows files read
the same. A last line without a newline is a record; a final newline does not add
an empty record; an empty line in the middle is an empty record. ``--raw`` keeps
the whole input as one record, byte for byte. Values and keys stay bytes: nothing
here decodes text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from workbench.errors import UsageError

EMPTY_SEPARATOR_MESSAGE = (
    "--key-separator must be non-empty. If using '=', type it as "
    "'--key-separator \"=\"'"
)


@dataclass
class InputRecords:
    """Records ready to encode, plus the lines that could not become records."""

    values: list[bytes] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """One message per input line refused (e.g. no key separator)."""

    def __len__(self) -> int:
        return len(self.values)

    def add(self, value: bytes, key: bytes | None = None) -> None:
        """Append one record."""
        self.values.append(value)
        self.keys.append(key)


def split_lines(data: bytes) -> list[bytes]:
    """Split ``data`` into lines by the record rules above."""
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def check_key_options(key: str | None, key_separator: str | None, raw: bool) -> None:
    """Refuse key option combinations that cannot mean anything.

    Raises:
        UsageError: an empty separator, ``--key`` with ``--key-separator``, or
            ``--raw`` with ``--key-separator``.
    """
    if key_separator is None:
        return
    if key_separator == "":
        raise UsageError(EMPTY_SEPARATOR_MESSAGE)
    if key is not None:
        raise UsageError("--key and --key-separator cannot be used together")
    if raw:
        raise UsageError("--raw and --key-separator cannot be used together")


def records_from_data(
    data: bytes,
    *,
    raw: bool = False,
    key: bytes | None = None,
    key_separator: bytes | None = None,
) -> InputRecords:
    """One record per line of ``data`` (or one for all of it with ``raw``)."""
    if raw:
        records = InputRecords()
        records.add(data, key)
        return records
    return records_from_lines(
        split_lines(data), key=key, key_separator=key_separator, label="line"
    )


def records_from_lines(
    lines: Iterable[bytes],
    *,
    key: bytes | None = None,
    key_separator: bytes | None = None,
    label: str = "line",
) -> InputRecords:
    """One record per item; ``label`` names an item in skip messages (``line 3``)."""
    records = InputRecords()
    for number, line in enumerate(lines, 1):
        if key_separator is None:
            records.add(line, key)
            continue

        line_key, found, value = line.partition(key_separator)
        if found:
            records.add(value, line_key)
        else:
            records.skipped.append(
                _missing_separator(label, number, key_separator, line)
            )
    return records


def _missing_separator(label: str, number: int, separator: bytes, line: bytes) -> str:
    shown_separator = separator.decode("utf-8", "replace")
    shown_line = line.decode("utf-8", "replace")
    return (
        f"{label} {number}: Failed to find separator '{shown_separator}' in record, "
        f"skipping: '{shown_line}'"
    )
