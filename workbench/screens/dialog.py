"""The base of the app's modal dialogs: one that closes exactly once."""

from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal screen whose second close request is ignored.

    Two quick presses of Enter (or a held key) can both reach a dialog: the first
    closes it, and the second, already queued, would pop whatever screen lies
    beneath it, the app's main screen included.
    """

    _result_sent = False

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        if self._result_sent or not self.is_active:
            return AwaitComplete()

        self._result_sent = True
        return super().dismiss(result)
