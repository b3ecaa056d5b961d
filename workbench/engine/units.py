"""Human-readable sizes and durations for budgets: ``1 GiB``, ``64 MiB``, ``500 ms``.

Budgets appear in error messages and on the command line, so both directions live
here: formatting for messages, parsing for flags and configuration files.
"""

from __future__ import annotations

import re

_BINARY_UNITS = (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))
_SIZE_SUFFIXES = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kb": 1000,
    "kib": 1 << 10,
    "m": 1 << 20,
    "mb": 1000**2,
    "mib": 1 << 20,
    "g": 1 << 30,
    "gb": 1000**3,
    "gib": 1 << 30,
}
_DURATION_SUFFIXES = {"": 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0}
_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def format_bytes(size: int) -> str:
    """``1073741824`` → ``1 GiB``; ``1536`` → ``1.5 KiB``; ``100`` → ``100 bytes``."""
    for unit, scale in _BINARY_UNITS:
        if size >= scale:
            return f"{_trim(size / scale)} {unit}"
    return f"{size} bytes"


def format_duration(seconds: float) -> str:
    """``5.0`` → ``5 s``; ``0.5`` → ``500 ms``; ``90`` → ``90 s``."""
    if seconds < 1:
        return f"{_trim(seconds * 1000)} ms"
    return f"{_trim(seconds)} s"


def _trim(number: float) -> str:
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def parse_size(text: str) -> int:
    """Parse ``64MiB``, ``1 GiB``, ``512k`` or a plain byte count.

    Raises:
        ValueError: The text is not a positive size, with a message for the user.
    """
    match = _QUANTITY.match(text)
    suffix = match.group(2).lower() if match else ""
    if match is None or suffix not in _SIZE_SUFFIXES:
        raise ValueError(f"invalid size {text!r}: expected e.g. 64MiB, 1GiB, 500000")
    size = int(float(match.group(1)) * _SIZE_SUFFIXES[suffix])
    if size <= 0:
        raise ValueError(f"invalid size {text!r}: must be more than 0")
    return size


def parse_duration(text: str) -> float:
    """Parse ``5s``, ``500ms``, ``2m`` or plain seconds.

    Raises:
        ValueError: The text is not a positive duration, with a message for the user.
    """
    match = _QUANTITY.match(text)
    suffix = match.group(2).lower() if match else ""
    if match is None or suffix not in _DURATION_SUFFIXES:
        raise ValueError(f"invalid duration {text!r}: expected e.g. 5s, 500ms, 2m")
    seconds = float(match.group(1)) * _DURATION_SUFFIXES[suffix]
    if seconds <= 0:
        raise ValueError(f"invalid duration {text!r}: must be more than 0")
    return seconds
