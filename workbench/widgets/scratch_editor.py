"""The scratch editor: records typed by hand, one per line."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea


class ScratchEditor(TextArea):
    """A text area whose Esc hands the keyboard back to the bench."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave editor", tooltip="Keys work again"),
        # Closing the bench wins over the editor's delete-word on Ctrl+W, as it
        # does everywhere else in the app; Ctrl+Backspace still deletes a word.
        Binding("ctrl+w", "app.close_bench", "Close", show=False),
    ]
    HELP = (
        "Scratch input: one record per line (KEY<sep>value when the topic form sets "
        "a key separator). The Output pane follows as you type; no topic is "
        "written. Esc leaves the editor so single-letter keys work again; Tab "
        "moves to the Output pane; Ctrl+W closes the bench (Ctrl+Backspace "
        "deletes a word)."
    )

    class Left(Message):
        """Esc was pressed: the bench should take the focus elsewhere."""

    class Scrolled(Message):
        """The first visible line changed."""

        def __init__(self, top: int) -> None:
            super().__init__()
            self.top = top

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        # One editor line is one record beside one Output line: never wrap.
        super().__init__(text, id=id, soft_wrap=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if int(old) != int(new):
            self.post_message(self.Scrolled(int(new)))

    def action_leave(self) -> None:
        """Give the focus back to the bench."""
        self.post_message(self.Left())
