"""How records are printed, shared by `test` and `consume`.

A value that is valid UTF-8 prints as text; anything else prints as ``0x`` and
lowercase hex, so binary output is shown instead of failing or being mangled.
Formats live in :data:`FORMATS` by name (the ``-O`` value); a new one is a function
taking a :class:`ShownRecord` and the ``-k`` flag, returning one line without its
newline.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShownRecord:
    """A record with its absolute position, ready to print."""

    offset: int
    timestamp: int
    """Milliseconds since the epoch, or -1 when the record has none."""
    key: bytes | None
    value: bytes
    partition: int = 0


Formatter = Callable[[ShownRecord, bool], str]


def bytes_text(data: bytes) -> str:
    """``data`` as UTF-8 text, or ``0x…`` lowercase hex when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + data.hex()


def format_text(record: ShownRecord, with_key: bool) -> str:
    """The value; with ``-k``, ``[key] value`` (``[null]`` for no key)."""
    value = bytes_text(record.value)
    if not with_key:
        return value
    key = "null" if record.key is None else bytes_text(record.key)
    return f"[{key}] {value}"


def format_jsonl(record: ShownRecord, with_key: bool) -> str:
    """One compact JSON object per record; the key is always there."""
    line = {
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": None if record.key is None else _json_bytes(record.key),
        "value": _json_bytes(record.value),
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


FORMATS: dict[str, Formatter] = {
    "text": format_text,
    "jsonl": format_jsonl,
}
"""Output formats by ``-O`` name."""


def formatter(name: str) -> Formatter:
    """The formatter called ``name``; raises :class:`KeyError` for unknown names."""
    return FORMATS[name.lower()]


def _json_bytes(data: bytes) -> str | dict[str, str]:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
