"""Records print the same way in `test` and `consume`."""

from __future__ import annotations

import json

import pytest

from workbench.formats import ShownRecord, bytes_text, format_jsonl, formatter


def _record(value: bytes, key: bytes | None = None) -> ShownRecord:
    return ShownRecord(offset=7, timestamp=1_700_000_000_000, key=key, value=value)


def test_utf8_prints_as_text_and_the_rest_as_hex() -> None:
    assert bytes_text("héllo".encode()) == "héllo"
    assert bytes_text(b"") == ""
    assert bytes_text(b"\xff\x00\xab") == "0xff00ab"


def test_text_format_with_and_without_keys() -> None:
    show = formatter("text")
    assert show(_record(b"v"), False) == "v"
    assert show(_record(b"v", b"k"), True) == "[k] v"
    assert show(_record(b"v"), True) == "[null] v"
    assert show(_record(b"\x01\xff", b"\xfe"), True) == "[0xfe] 0x01ff"


def test_jsonl_is_compact_and_base64_for_binary() -> None:
    line = format_jsonl(_record(b"\xff\x01", b"id"), False)
    assert line == (
        '{"partition":0,"offset":7,"timestamp":1700000000000,'
        '"key":"id","value":{"base64":"/wE="}}'
    )
    parsed = json.loads(format_jsonl(_record("é\n".encode()), True))
    assert parsed["key"] is None
    assert parsed["value"] == "é\n"


def test_unknown_format_name() -> None:
    with pytest.raises(KeyError):
        formatter("yaml")
    assert formatter("JSONL") is format_jsonl
