"""Whole screens and modal dialogs of the app."""

from workbench.screens.detail import RecordDetailScreen, TextScreen
from workbench.screens.forms import ConfirmScreen, Field, FormScreen
from workbench.screens.help import HelpScreen

__all__ = [
    "ConfirmScreen",
    "Field",
    "FormScreen",
    "HelpScreen",
    "RecordDetailScreen",
    "TextScreen",
]
