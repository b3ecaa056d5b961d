"""How `consume` prints records: Fluvio's ``-O`` types, ``-F`` templates and ``-k``.

Every formatter turns a block of records into bytes for stdout at once, so the
common case (text values, no key) costs one join per stored batch instead of a
Python call per record. The types follow Fluvio's consumer:

- ``dynamic`` (default): a value that looks binary (a NUL byte in its first
  1024 bytes, or a PDF header) prints as a hex dump; anything else as text, with
  invalid UTF-8 replaced.
- ``text``: text; a binary value prints ``binary: (N bytes)`` unless
  ``--suppress-unknown``.
- ``binary``: always a hex dump. ``raw``: always text.
- ``json``: the value parsed and pretty-printed; a value that is not JSON prints
  ``{"error": …}`` (skipped with ``--suppress-unknown``).
- ``table``: a JSON object per value; its keys are printed once as a header.
- ``jsonl``: one compact JSON object per record, as `smartbench test` prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

OutRecord = tuple[int, int, int, bytes | None, bytes]
"""``(timestamp, partition, offset, key, value)`` of a record about to be shown."""

OUTPUT_TYPES = ("dynamic", "text", "binary", "json", "raw", "table", "jsonl")

_SNIFF_BYTES = 1024
_HEX_SEPARATOR = "-" * 78
_TEMPLATE_FIELD = re.compile(r"\{\{\s*(key|value|offset|partition|time)\s*\}\}")


def looks_binary(value: bytes) -> bool:
    """True when a value should be shown as a hex dump rather than as text."""
    return b"\x00" in value[:_SNIFF_BYTES] or value.startswith(b"%PDF-")


def lossy_text(data: bytes) -> str:
    """UTF-8 text, with each invalid sequence shown as U+FFFD."""
    return data.decode("utf-8", "replace")


def hex_dump(data: bytes) -> str:
    """Sixteen bytes a row: offset, hex in two groups of eight, printable ASCII."""
    rows = []
    for start in range(0, len(data), 16):
        chunk = data[start : start + 16]
        left = " ".join(f"{byte:02x}" for byte in chunk[:8])
        right = " ".join(f"{byte:02x}" for byte in chunk[8:])
        shown = "".join(_dump_character(byte) for byte in chunk)
        rows.append(f"{start:08x}  {left:<23}  {right:<23}  |{shown:<16}|")
    rows.append(_HEX_SEPARATOR)
    return "\n".join(rows)


def _dump_character(byte: int) -> str:
    if 0x20 <= byte < 0x7F:
        return chr(byte)
    return "." if byte == 0x0A else " "


def rfc3339_ms(timestamp: int) -> str:
    """``2018-02-07T01:09:14.000Z``, or ``NA`` for a record without a timestamp."""
    if timestamp < 0:
        return "NA"
    moment = datetime.fromtimestamp(timestamp / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp % 1000:03d}Z"


class RecordPrinter:
    """Renders consumed records for one `consume` run (state: the table header)."""

    def __init__(
        self,
        output: str = "dynamic",
        template: str | None = None,
        with_key: bool = False,
        suppress_unknown: bool = False,
    ) -> None:
        self.output = output.lower()
        self.template = template
        self.with_key = with_key
        self.suppress_unknown = suppress_unknown
        self._table_columns: list[str] | None = None
        self._line = self._choose_line_formatter()

    @property
    def values_only(self) -> bool:
        """True when the output shows values alone (no key, offset or time)."""
        return (
            self.output in ("dynamic", "raw")
            and self.template is None
            and not self.with_key
        )

    def render_values(self, values: Sequence[bytes]) -> bytes:
        """Like :meth:`render` for a :attr:`values_only` printer, from values."""
        fast = self._plain_values(values)
        if fast is not None:
            return fast
        return self.render([(0, 0, 0, None, value) for value in values])

    def render(self, records: Sequence[OutRecord]) -> bytes:
        """The bytes to write for ``records``, each line ending in a newline."""
        if not records:
            return b""
        if self.output in ("dynamic", "raw") and self.template is None:
            fast = self._plain_values([record[4] for record in records])
            if fast is not None:
                return fast
        lines = [line for record in records if (line := self._line(record)) is not None]
        if not lines:
            return b""
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")

    def _plain_values(self, values: Sequence[bytes]) -> bytes | None:
        # Text values without -k print as they are: check the whole block once.
        if self.with_key or not values:
            return None if self.with_key else b""
        joined = b"\n".join(values)
        if b"\x00" in joined or b"%PDF-" in joined:
            return None
        try:
            joined.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return joined + b"\n"

    def _choose_line_formatter(self) -> Callable[[OutRecord], str | None]:
        if self.template is not None:
            return self._with_key_prefix(self._templated)
        formatters: dict[str, Callable[[OutRecord], str | None]] = {
            "dynamic": self._with_key_prefix(self._dynamic),
            "text": self._with_key_prefix(self._text),
            "binary": self._with_key_prefix(lambda r: hex_dump(r[4])),
            "raw": self._with_key_prefix(lambda r: lossy_text(r[4])),
            "json": self._with_key_prefix(self._json),
            "table": self._table,
            "jsonl": self._jsonl,
        }
        if self.output not in formatters:
            raise ValueError(f"unknown output type {self.output!r}")
        return formatters[self.output]

    def _with_key_prefix(
        self, formatter: Callable[[OutRecord], str | None]
    ) -> Callable[[OutRecord], str | None]:
        if not self.with_key:
            return formatter

        def prefixed(record: OutRecord) -> str | None:
            line = formatter(record)
            if line is None:
                return None
            key = "null" if record[3] is None else lossy_text(record[3])
            return f"[{key}] {line}"

        return prefixed

    @staticmethod
    def _dynamic(record: OutRecord) -> str:
        value = record[4]
        return hex_dump(value) if looks_binary(value) else lossy_text(value)

    def _text(self, record: OutRecord) -> str:
        value = record[4]
        if looks_binary(value) and not self.suppress_unknown:
            return f"binary: ({len(value)} bytes)"
        return lossy_text(value)

    def _json(self, record: OutRecord) -> str | None:
        try:
            document = json.loads(record[4])
        except (ValueError, UnicodeDecodeError) as error:
            if self.suppress_unknown:
                return None
            document = {"error": str(error)}
        return json.dumps(document, indent=2, ensure_ascii=False)

    def _table(self, record: OutRecord) -> str:
        try:
            document = json.loads(record[4])
        except (ValueError, UnicodeDecodeError) as error:
            return f"error parsing record as json: {error}"
        if not isinstance(document, dict):
            return "error: Unable to parse json as object map"
        row = "  ".join(_table_cell(value) for value in document.values())
        if self._table_columns is None:
            self._table_columns = list(document)
            return "  ".join(self._table_columns) + "\n" + row
        return row

    def _jsonl(self, record: OutRecord) -> str:
        timestamp, partition, offset, key, value = record
        line = {
            "partition": partition,
            "offset": offset,
            "timestamp": timestamp,
            "key": None if key is None else _json_bytes(key),
            "value": _json_bytes(value),
        }
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))

    def _templated(self, record: OutRecord) -> str:
        timestamp, partition, offset, key, value = record
        fields = {
            "key": "null" if key is None else lossy_text(key),
            "value": lossy_text(value),
            "offset": str(offset),
            "partition": str(partition),
            "time": rfc3339_ms(timestamp),
        }
        assert self.template is not None
        return _TEMPLATE_FIELD.sub(lambda m: fields[m.group(1)], self.template)


def _table_cell(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _json_bytes(data: bytes) -> str | dict[str, str]:
    import base64

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
