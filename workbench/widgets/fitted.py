"""A line of facts that gives way, least important first, when it is too narrow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

SEPARATOR = " · "


@dataclass(frozen=True)
class Part:
    """One fact of a line, in its longest form first."""

    variants: tuple[Text, ...]
    """Shorter and shorter ways to say it; an empty last one lets it go."""
    rank: int
    """Higher ranks stay longer when the line is too narrow."""

    @classmethod
    def of(
        cls,
        rank: int,
        *variants: Text | str,
        style: str = "",
        droppable: bool = True,
    ) -> Part:
        """A part from its forms, longest first; ``droppable`` adds an empty one."""
        texts = [v if isinstance(v, Text) else Text(v, style) for v in variants]
        if droppable:
            texts.append(Text())
        return cls(tuple(texts), rank)


def join_parts(parts: Sequence[Part], choice: Sequence[int] | None = None) -> Text:
    """The parts in their chosen forms (the longest by default), separated."""
    text = Text()
    for index, part in enumerate(parts):
        variant = part.variants[choice[index] if choice else 0]
        if not variant.plain:
            continue
        if text.plain:
            text.append(SEPARATOR, "dim")
        text.append_text(variant)
    return text


def fit_parts(parts: Sequence[Part], width: int) -> Text:
    """The parts shortened, lowest rank (then the rightmost) first, to fit ``width``.

    When even the shortest forms of what may not go are wider, the result is
    wider too, and the widget wraps or crops it.
    """
    choice = [0] * len(parts)
    while join_parts(parts, choice).cell_len > width:
        shorter = [
            i for i, part in enumerate(parts) if choice[i] < len(part.variants) - 1
        ]
        if not shorter:
            break
        index = min(shorter, key=lambda i: (parts[i].rank, -i))
        choice[index] += 1
    return join_parts(parts, choice)


class FittedLine(Widget):
    """Shows parts fitted to its width again whenever the width changes."""

    DEFAULT_CSS = """
    FittedLine {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.parts: list[Part] = []

    def update(self, parts: Sequence[Part]) -> None:
        """Show ``parts`` from now on."""
        self.parts = list(parts)
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        """What the line shows now, as plain text."""
        return self.fitted(self.content_size.width).plain

    def fitted(self, width: int) -> Text:
        """The parts fitted to ``width`` cells."""
        return fit_parts(self.parts, max(1, width))

    def render(self) -> Text:
        return self.fitted(self.content_size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        text = self.fitted(width)
        return max(1, len(text.wrap(self.app.console, max(1, width))))
