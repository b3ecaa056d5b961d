"""The stats line's size change keeps its sign; its rate reads sensibly."""

from __future__ import annotations

import pytest

from workbench.widgets.bench_view import byte_change, rate_text


@pytest.mark.parametrize(
    ("bytes_in", "bytes_out", "shown"),
    [
        (1000, 50, "−95%"),
        (91, 97, "+7%"),
        (100, 100, "±0%"),
        (1_200_000, 3_700, ">−99%"),
        (500, 0, "−100%"),
    ],
)
def test_byte_change(bytes_in: int, bytes_out: int, shown: str) -> None:
    assert byte_change(bytes_in, bytes_out) == shown


@pytest.mark.parametrize(
    ("records", "size", "seconds", "shown"),
    [
        # One GeoJSON document split by an array-map: bytes say how fast it went.
        (1, 1_200_000, 0.11, "10.4 MB/s"),
        (12, 3_000, 0.002, "1.4 MB/s"),
        (1_707, 1_200_000, 0.5, "3,414 rec/s"),
        (150, 9_000, 20.0, "7.5 rec/s"),
    ],
)
def test_rate_text(records: int, size: int, seconds: float, shown: str) -> None:
    assert rate_text(records, size, seconds) == shown
