"""Input lines become records by the same rules in `test` and `produce`."""

from __future__ import annotations

import pytest

from workbench.errors import UsageError
from workbench.inputs import (
    check_key_options,
    records_from_data,
    records_from_lines,
    split_lines,
)


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"", []),
        (b"a", [b"a"]),
        (b"a\n", [b"a"]),
        (b"a\nb", [b"a", b"b"]),
        (b"a\r\nb\r\n", [b"a", b"b"]),
        (b"a\n\nb\n", [b"a", b"", b"b"]),
        (b"\n", [b""]),
        (b"a\n\n", [b"a", b""]),
        (b"a\r\r\n", [b"a\r"]),
        (b"\xff\xfe\n\x00", [b"\xff\xfe", b"\x00"]),
    ],
)
def test_split_lines(data: bytes, lines: list[bytes]) -> None:
    assert split_lines(data) == lines


def test_raw_keeps_every_byte_in_one_record() -> None:
    data = b"one\r\ntwo\n\xff\n"
    records = records_from_data(data, raw=True, key=b"k")
    assert records.values == [data]
    assert records.keys == [b"k"]


def test_key_applies_to_every_line() -> None:
    records = records_from_data(b"a\nb\n", key=b"id")
    assert records.values == [b"a", b"b"]
    assert records.keys == [b"id", b"id"]


def test_key_separator_splits_at_the_first_one_and_reports_misses() -> None:
    data = b"k1=v=1\nnothing here\n=empty key\nk2=\n"
    records = records_from_data(data, key_separator=b"=")
    assert records.keys == [b"k1", b"", b"k2"]
    assert records.values == [b"v=1", b"empty key", b""]
    assert records.skipped == [
        "line 2: Failed to find separator '=' in record, skipping: 'nothing here'"
    ]


def test_text_items_are_labelled_in_skip_messages() -> None:
    records = records_from_lines([b"a:b", b"plain"], key_separator=b":", label="--text")
    assert records.values == [b"b"]
    assert records.skipped[0].startswith("--text 2: Failed to find separator ':'")


@pytest.mark.parametrize(
    ("key", "separator", "raw", "message"),
    [
        (None, "", False, "--key-separator must be non-empty"),
        ("k", ",", False, "--key and --key-separator cannot be used together"),
        (None, ",", True, "--raw and --key-separator cannot be used together"),
    ],
)
def test_key_option_conflicts(
    key: str | None, separator: str, raw: bool, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        check_key_options(key, separator, raw)


def test_key_options_that_fit_together() -> None:
    check_key_options("k", None, True)
    check_key_options(None, "=", False)
