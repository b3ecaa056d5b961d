"""The stats line's size change keeps its sign."""

from __future__ import annotations

import pytest

from workbench.widgets.bench_view import byte_change


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
