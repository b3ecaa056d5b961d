"""Sizes and durations as people type them: ``64MiB``, ``1GiB``, ``500ms``, ``12 s``.

Durations follow the ``humantime`` spelling Fluvio's transforms files use (``30m``,
``1w``, ``1h 30m``), so a lookback ``age`` and a ``--time-budget`` read the same way.
Both parsers raise :class:`ValueError` with a message meant for the user; callers
wrap it in the error that fits their context.
"""

from __future__ import annotations

import re

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kib": 1 << 10,
    "m": 1 << 20,
    "mib": 1 << 20,
    "g": 1 << 30,
    "gib": 1 << 30,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*")

_MINUTE = 60.0
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
# humantime's month and year are 30.44 and 365.25 days.
_DURATION_UNITS = {
    **dict.fromkeys(("nsec", "ns"), 1e-9),
    **dict.fromkeys(("usec", "us", "µs"), 1e-6),
    **dict.fromkeys(("millis", "msec", "ms"), 1e-3),
    **dict.fromkeys(("seconds", "second", "secs", "sec", "s"), 1.0),
    **dict.fromkeys(("minutes", "minute", "mins", "min", "m"), _MINUTE),
    **dict.fromkeys(("hours", "hour", "hrs", "hr", "h"), _HOUR),
    **dict.fromkeys(("days", "day", "d"), _DAY),
    **dict.fromkeys(("weeks", "week", "w"), 7 * _DAY),
    **dict.fromkeys(("months", "month", "M"), 30.44 * _DAY),
    **dict.fromkeys(("years", "year", "y"), 365.25 * _DAY),
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-zµ]*)\s*")


def parse_size(text: str) -> int:
    """Bytes in ``text``: a plain count, or a number with KiB/MiB/GiB (or KB/MB/GB).

    ``K``, ``M`` and ``G`` alone are binary units, as in most tools' memory flags.
    """
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _SIZE_UNITS:
        raise ValueError(
            f"invalid size `{text}`: give bytes or a number with a unit, "
            "e.g. 64MiB or 1GiB"
        )
    size = int(float(match.group(1)) * _SIZE_UNITS[unit])
    if size <= 0:
        raise ValueError(f"invalid size `{text}`: it must be more than 0 bytes")
    return size


def parse_duration(text: str) -> float:
    """Seconds in a humantime duration: ``5s``, ``500ms``, ``12 s``, ``1h 30m``."""
    stripped = text.strip()
    total = 0.0
    position = 0
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        if match is None:
            raise ValueError(_duration_message(text, "expected a number"))
        number, unit = match.groups()
        if not unit:
            raise ValueError(_duration_message(text, f"`{number}` needs a unit"))
        if unit not in _DURATION_UNITS:
            raise ValueError(_duration_message(text, f"unknown unit `{unit}`"))
        total += float(number) * _DURATION_UNITS[unit]
        position = match.end()

    if not stripped:
        raise ValueError(_duration_message(text, "it is empty"))
    return total


def format_size(size: int) -> str:
    """``size`` bytes the way people say it: ``1 GiB``, ``64 MiB``, ``1000 bytes``."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _duration_message(text: str, reason: str) -> str:
    return f"invalid duration `{text}`: {reason} (e.g. 5s, 500ms, 30m, 1h 30m)"
