"""Small modal forms: params, open module, topic, promote, export, confirm.

Each form is a list of :class:`Field` rows and returns a dict of the typed values,
or None when cancelled. Validation runs in the form, so a mistake is shown next to
the field and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from workbench.screens.dialog import Dialog

MAX_FIELDS_HEIGHT = 20
"""Rows the fields take before they scroll, when the terminal is tall enough."""
MIN_FIELDS_HEIGHT = 3
"""The fields keep this many rows however short the terminal."""

Validator = Callable[[dict[str, str]], str | None]
"""Returns an error message for the whole form, or None when it is fine."""


@dataclass(frozen=True)
class Field:
    """One row of a form."""

    name: str
    label: str
    value: str = ""
    help: str = ""
    choices: tuple[str, ...] = ()
    """When given, the field is a select of these values."""
    multiline: bool = False
    placeholder: str = ""
    suggestions: tuple[str, ...] = ()
    """Values a text field completes to as you type (right arrow accepts)."""


class FormError(Static):
    """The form's message; its height is only known once it is laid out."""

    def on_resize(self) -> None:
        # A long message takes its room from the fields, never from the buttons.
        screen = self.screen
        if isinstance(screen, FormScreen):
            screen.call_after_refresh(screen.fit_fields)


class FormScreen(Dialog[dict[str, str] | None]):
    """A titled form; Enter or OK submits, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "OK", show=False),
    ]
    HELP = "Fill in the fields; Enter (Ctrl+S in a text box) submits, Esc cancels."

    def __init__(
        self,
        title: str,
        fields: list[Field],
        help_text: str = "",
        validate: Validator | None = None,
        submit_label: str = "OK",
    ) -> None:
        super().__init__(classes="form-screen")
        self.form_title = title
        self.fields = fields
        self.help_text = help_text
        self.validate = validate
        self.submit_label = submit_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.form_title, classes="dialog-title")
            if self.help_text:
                yield Static(self.help_text, classes="dialog-help")
            with VerticalScroll(classes="dialog-fields", can_focus=False):
                for field in self.fields:
                    yield Label(field.label, classes="field-label")
                    yield self._field_widget(field)
                    if field.help:
                        yield Static(field.help, classes="field-help")
            yield FormError("", id="form-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#field-{self.fields[0].name}").focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_fields)

    def fit_fields(self) -> None:
        # The fields scroll in whatever room the title, help, error and buttons
        # leave, so a short terminal never pushes the buttons off the dialog.
        dialog = self.query_one(".dialog")
        fields = self.query_one(".dialog-fields")
        limit = dialog.styles.max_height
        room = self.size.height
        if limit is not None:
            room = int(limit.resolve(self.size, self.size))
        others = sum(
            child.outer_size.height for child in dialog.children if child is not fields
        )
        fitted = max(MIN_FIELDS_HEIGHT, room - others - dialog.gutter.height)
        fields.styles.max_height = min(fitted, MAX_FIELDS_HEIGHT)

    def _field_widget(self, field: Field) -> Input | Select[str] | TextArea:
        widget_id = f"field-{field.name}"
        if field.choices:
            options = [(choice, choice) for choice in field.choices]
            return Select(options, value=field.value, id=widget_id, allow_blank=False)
        if field.multiline:
            return TextArea(field.value, id=widget_id, classes="field-text")
        suggester = None
        if field.suggestions:
            suggester = SuggestFromList(field.suggestions, case_sensitive=False)
        return Input(
            field.value,
            placeholder=field.placeholder,
            id=widget_id,
            suggester=suggester,
        )

    def values(self) -> dict[str, str]:
        """What the fields hold now."""
        result: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#field-{field.name}")
            if isinstance(widget, TextArea):
                result[field.name] = widget.text
            elif isinstance(widget, Select):
                result[field.name] = str(widget.value)
            elif isinstance(widget, Input):
                result[field.name] = widget.value
        return result

    def action_submit(self) -> None:
        values = self.values()
        problem = self.validate(values) if self.validate else None
        if problem:
            self.query_one("#form-error", Static).update(problem)
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Dialog[bool]):
    """A yes/no question; Escape means no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, yes_label: str = "Yes") -> None:
        super().__init__(classes="form-screen")
        self.question = question
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-help")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes_label, variant="warning", id="yes")
                yield Button("No", id="no")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
