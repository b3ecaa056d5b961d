"""A footer that keeps the most useful keys when the terminal is narrow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual import events
    from textual.app import ComposeResult
    from textual.binding import Binding

COMPACT_BELOW = 120
"""Narrower terminals get the footer's compact spacing."""
PALETTE_KEY_WIDTH = 14
"""Room the command palette's key takes at the right end."""


@dataclass(frozen=True)
class KeyPair:
    """Two actions the footer shows as one key when both are active."""

    first: str
    second: str
    """The action the shared key runs when clicked."""
    key_display: str
    description: str


class KeyFooter(Footer):
    """The active key bindings, least useful dropped first when they do not fit."""

    def __init__(
        self,
        priority: Sequence[str] | Callable[[], Sequence[str]],
        skip: Callable[[str], bool] | None = None,
        pairs: Sequence[KeyPair] = (),
    ) -> None:
        super().__init__()
        self.priority = priority
        """Actions from the most to the least useful (or what says so for now);
        others come after them."""
        self.skip = skip
        """Actions the footer should leave out for now (F1 still lists them)."""
        self.pairs = pairs
        """Actions that share one footer key; F1 lists them apart."""
        self._shown_width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        for binding, enabled, tooltip in self._fitted(self._candidates()):
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        yield from self._palette_key()

    def _candidates(self) -> list[tuple[Binding, bool, str]]:
        seen: set[str] = set()
        candidates = []
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            if self.skip is not None and self.skip(binding.action):
                continue
            seen.add(binding.action)
            candidates.append((binding, enabled, tooltip))
        for pair in self.pairs:
            candidates = _joined(candidates, pair)
        return candidates

    def _fitted(
        self, candidates: list[tuple[Binding, bool, str]]
    ) -> list[tuple[Binding, bool, str]]:
        room = self.size.width - PALETTE_KEY_WIDTH
        if room <= 0:
            return candidates
        kept = list(candidates)
        while kept and sum(self._width(b) for b, _, _ in kept) > room:
            kept.remove(max(kept, key=lambda item: self._rank(item[0].action)))
        return kept

    def _rank(self, action: str) -> int:
        priority = self.priority() if callable(self.priority) else self.priority
        name = action.split("(")[0]
        if name in priority:
            return list(priority).index(name)
        return len(priority)

    def _width(self, binding: Binding) -> int:
        key = self.app.get_key_display(binding)
        # Compact: "key desc" and one space after; otherwise padded on both sides.
        spacing = 2 if self.compact else 3
        return len(key) + len(binding.description) + spacing

    def _palette_key(self) -> ComposeResult:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return
        found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if found is None:
            return
        _, binding, enabled, _ = found
        yield FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            classes="-command-palette",
            disabled=not enabled,
            tooltip=binding.tooltip or binding.description,
        )

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
        if event.size.width != self._shown_width:
            self._shown_width = event.size.width
            self.call_after_refresh(self.recompose)


def _joined(
    candidates: list[tuple[Binding, bool, str]], pair: KeyPair
) -> list[tuple[Binding, bool, str]]:
    """``candidates`` with ``pair``'s two keys as one, where the first was."""
    actions = [binding.action for binding, _, _ in candidates]
    if pair.first not in actions or pair.second not in actions:
        return candidates
    binding, enabled, _ = candidates[actions.index(pair.second)]
    shared = replace(
        binding, key_display=pair.key_display, description=pair.description
    )
    tooltip = f"{pair.key_display}: {pair.description}"
    joined = list(candidates)
    joined[actions.index(pair.first)] = (shared, enabled, tooltip)
    del joined[actions.index(pair.second)]
    return joined
