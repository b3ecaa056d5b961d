"""Sizes and durations typed by people."""

from __future__ import annotations

import pytest

from workbench.units import format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("64MiB", 64 << 20),
        ("1GiB", 1 << 30),
        ("1 gib", 1 << 30),
        ("1000", 1000),
        ("512k", 512 << 10),
        ("2MB", 2_000_000),
        ("1.5GiB", 3 << 29),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "MiB", "-5MiB", "5 parsecs", "1e6"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5s", 5.0),
        ("500ms", 0.5),
        ("12 s", 12.0),
        ("30m", 1800.0),
        ("1h 30m", 5400.0),
        ("1w", 604800.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "it is empty"), ("5", "`5` needs a unit"), ("5 fortnights", "unknown unit")],
)
def test_bad_durations(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_duration(text)


def test_format_size() -> None:
    assert format_size(1 << 30) == "1 GiB"
    assert format_size(64 << 20) == "64 MiB"
    assert format_size(1000) == "1000 bytes"
