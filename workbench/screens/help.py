"""F1: help for the focused widget, then every key the screen answers."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, Static

from workbench.screens.dialog import Dialog


def widget_help(widget: Widget | None) -> str:
    """The HELP text of the widget or its nearest ancestor that has one."""
    node = widget
    while node is not None:
        text = getattr(type(node), "HELP", None)
        if isinstance(text, str) and text:
            return text
        parent = node.parent
        node = parent if isinstance(parent, Widget) else None
    return "Press Ctrl+P for every command."


class HelpScreen(Dialog[None]):
    """Help for what has focus and the active key bindings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close"),
    ]

    def __init__(self, focused: Widget | None, keys: list[tuple[str, str]]) -> None:
        super().__init__(classes="form-screen")
        self.focused_help = widget_help(focused)
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Help", classes="dialog-title")
            with VerticalScroll():
                yield Static(Text(self.focused_help), classes="dialog-help")
                yield Static(self._key_table())

    def _key_table(self) -> Table:
        table = Table(show_header=True, box=None, expand=True)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        for key, description in self.keys:
            table.add_row(key, description)
        return table
