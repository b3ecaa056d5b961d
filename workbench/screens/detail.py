"""A record in full: pretty JSON (or text, or hex), key, offset, timestamp."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.console import RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from workbench.screens.dialog import Dialog
from workbench.widgets.record_view import format_timestamp


def pretty_value(value: bytes) -> RenderableType:
    """JSON indented, other text as is, binary as a hex dump."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return Text(hex_dump(value))
    try:
        parsed = json.loads(text)
    except ValueError:
        return Text(text)
    pretty = json.dumps(parsed, indent=2, ensure_ascii=False)
    return Syntax(pretty, "json", word_wrap=True, background_color="default")


def hex_dump(data: bytes, limit: int = 4096) -> str:
    """Offset, 16 hex bytes and their printable characters per line."""
    lines = []
    for start in range(0, min(len(data), limit), 16):
        chunk = data[start : start + 16]
        hex_part = " ".join(f"{b:02x}" for b in chunk)
        printable = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:08x}  {hex_part:<47}  {printable}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit:,} more bytes")
    return "\n".join(lines)


class RecordDetailScreen(Dialog[None]):
    """Shows one record; c copies its value to the clipboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "dismiss", "Close"),
        Binding("c", "copy", "Copy value"),
    ]
    HELP = "The record in full. c copies the value to the clipboard; Esc closes."

    def __init__(
        self,
        title: str,
        value: bytes,
        key: bytes | None = None,
        offset: int | None = None,
        timestamp: int = 0,
        attribution: str = "",
    ) -> None:
        super().__init__(classes="form-screen")
        self.detail_title = title
        self.value = value
        self.key = key
        self.record_offset = offset
        self.timestamp = timestamp
        self.attribution = attribution
        """What the module wrote, and any error, while processing this record."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog detail"):
            yield Label(self.detail_title, classes="dialog-title")
            yield Static(self._facts(), classes="dialog-help")
            with VerticalScroll(id="detail-body"):
                # Above the value: a long record must not push the error out of
                # sight, below where nobody scrolls.
                if self.attribution:
                    note = Text(self.attribution + "\n")
                    yield Static(note, id="detail-attribution")
                yield Static(pretty_value(self.value), id="detail-value")

    def _facts(self) -> Text:
        facts = Text()
        if self.record_offset is not None:
            facts.append(f"offset {self.record_offset}  ")
        key = "NULL" if self.key is None else self.key.decode("utf-8", "replace")
        facts.append(f"key {key}  ")
        if self.timestamp:
            facts.append(f"timestamp {format_timestamp(self.timestamp)} UTC  ")
        facts.append(f"{len(self.value):,} bytes")
        return facts

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.value.decode("utf-8", "replace"))
        self.notify("value copied to the clipboard")


class TextScreen(Dialog[None]):
    """Plain text in a scrolling dialog, such as a command's output."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "dismiss", "Close"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(classes="form-screen")
        self.text_title = title
        self.body = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog detail"):
            yield Label(self.text_title, classes="dialog-title")
            with VerticalScroll(id="detail-body"):
                yield Static(Text(self.body), id="text-body")
