"""The in-memory record-list scanner agrees with the Python walker."""

from __future__ import annotations

import pytest
import wasmtime

from workbench.engine.abi import skip_record_list
from workbench.engine.codec import DecodeError
from workbench.engine.records import encode_values
from workbench.engine.runtime import engine
from workbench.engine.scanner import attach_scanner

BASE = 100

CASES = [
    encode_values([]),
    encode_values([b"x"]),
    encode_values([b"a" * 63, b"b" * 64, b"c" * 8_200, b""], [b"k", None, b"", None]),
    encode_values([b"v"] * 1_000) + b"\x01trailing",
    b"\x80\x00\x00\x01garbage",
    b"\x00\x00\x00\x02\x04abcd\x02",
    b"\x00\x00\x00\x01\x03ab",
    b"\x00\x00\x00\x01\xff\xff",
    b"\x00\x00\x00",
    b"\x00\x00\x00\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
]


def scan(data: bytes) -> int:
    store = wasmtime.Store(engine())
    store.set_epoch_deadline(1_000)
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
    memory.write(store, data, BASE)
    end: int = attach_scanner(store, memory)(store, BASE, BASE + len(data))
    return end


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_scanner_matches_the_python_walker(data: bytes) -> None:
    try:
        _, expected = skip_record_list(data)
    except DecodeError:
        expected = None

    end = scan(data)

    assert (end - BASE if end >= 0 else None) == expected
