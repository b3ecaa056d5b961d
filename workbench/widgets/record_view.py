"""Virtual record views: cost follows the screen height, not the number of records.

Each view is a Line-API ``ScrollView``: it renders only the lines on screen and
keeps an LRU cache of rendered strips, so a topic of a million records scrolls as
cheaply as one of ten.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench.bench import InputRow, InputSource

PAGE_ROWS = 200
"""Rows read from the source at once; a page is one indexed range read."""
KEY_COLUMN_LIMIT = 12
"""Cells of a key shown in a pane; the detail view has all of it."""


def preview(data: bytes | None, limit: int = 400) -> str:
    """A one-line rendering of bytes: text as is, binary as a hex preview."""
    if data is None:
        return ""
    try:
        text = data[:limit].decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text and data:
        return "0x" + data[:32].hex() + ("…" if len(data) > 32 else "")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return "0x" + data[:32].hex() + ("…" if len(data) > 32 else "")
    return text.replace("\r", "").replace("\n", "⏎").replace("\t", " ")


def format_timestamp(milliseconds: int) -> str:
    """UTC time of a record, to the second; blank when unknown."""
    if milliseconds <= 0:
        return ""
    moment = datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class RecordView(ScrollView, can_focus=True):
    """Base of the Input and Output panes: a cursor over virtual lines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Detail", tooltip="Show the record in full"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "record-view--cursor",
        "record-view--offset",
        "record-view--key",
        "record-view--dim",
        "record-view--kept",
        "record-view--dropped",
        "record-view--error",
        "record-view--match",
    }
    HELP = (
        "Move with the arrow keys, PgUp/PgDn, Home and End; Enter shows the "
        "record under the cursor in full; / searches this pane."
    )

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    """Index of the highlighted line."""

    class CursorMoved(Message):
        """The highlighted line changed."""

        def __init__(self, view: RecordView, index: int, by_user: bool) -> None:
            super().__init__()
            self.view = view
            self.index = index
            self.by_user = by_user

        @property
        def control(self) -> RecordView:
            """The view that sent this (lets ``@on`` match by selector)."""
            return self.view

    class Chosen(Message):
        """Enter was pressed on a line."""

        def __init__(self, view: RecordView, index: int) -> None:
            super().__init__()
            self.view = view
            self.index = index

        @property
        def control(self) -> RecordView:
            """The view that sent this (lets ``@on`` match by selector)."""
            return self.view

    class Scrolled(Message):
        """The first visible line changed."""

        def __init__(self, view: RecordView, top: int) -> None:
            super().__init__()
            self.view = view
            self.top = top

        @property
        def control(self) -> RecordView:
            """The view that sent this (lets ``@on`` match by selector)."""
            return self.view

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: LRUCache[tuple[int, int, bool], Strip] = LRUCache(1024)
        self.highlight = ""
        """Text that search matched; shown highlighted."""
        self._moving_by_user = False
        self._drawn_key_width = 0
        self.leads_unfocused = False
        """Keep the cursor on screen on resize when no record pane is focused."""

    # --- subclasses provide these ---------------------------------------------------

    def line_count(self) -> int:
        """How many lines the view has."""
        return 0

    def render_row(self, index: int) -> Text:
        """The text of line ``index``."""
        return Text("")

    # --- drawing --------------------------------------------------------------------

    def refresh_lines_count(self) -> None:
        """Re-read the line count after the data changed, keeping the cursor valid."""
        count = self.line_count()
        self.virtual_size = Size(self.size.width, count)
        if self.cursor >= count:
            self.cursor = max(0, count - 1)
        self._strips.clear()
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.line_count())
        self._strips.clear()
        # A pane that got shorter (a note or panel opened below a header) must not
        # hide the line the cursor is on, such as the last one after End. Only
        # the pane that leads does this; a pane lined up with it follows it.
        if self._leads():
            self._scroll_cursor_into_view()
        # More or fewer lines are visible now, which is what a scroll means to
        # whoever computes outputs for the visible rows.
        self.post_message(self.Scrolled(self, int(self.scroll_offset.y)))

    def _leads(self) -> bool:
        focused = self.app.focused
        if focused is self:
            return True
        # With no record pane focused (a search bar, the sidebar), Input leads.
        return self.leads_unfocused and not isinstance(focused, RecordView)

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        width = self.size.width
        if index >= self.line_count():
            return Strip.blank(width, self.rich_style)
        key = (index, width, index == self.cursor and self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_strip(index, width, key[2])
            self._strips.set(key, strip)
        return strip

    def _render_strip(self, index: int, width: int, is_cursor: bool) -> Strip:
        text = self.render_row(index)
        text.no_wrap = True
        text.overflow = "ellipsis"
        if self.highlight:
            style = self.get_component_rich_style("record-view--match")
            text.highlight_words([self.highlight], style, case_sensitive=False)
        text.truncate(width, overflow="ellipsis", pad=True)
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("record-view--cursor")
        segments = list(text.render(self.app.console))
        strip = Strip(segments, text.cell_len).apply_style(base)
        return strip.adjust_cell_length(width, base)

    def invalidate(self) -> None:
        """Forget rendered lines (data or style changed)."""
        self._strips.clear()
        self.refresh()

    def watch_cursor(self, old: int, new: int) -> None:
        self._strips.clear()
        self.refresh()
        self.post_message(self.CursorMoved(self, new, self._moving_by_user))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if int(old) != int(new):
            self.post_message(self.Scrolled(self, int(new)))

    def on_focus(self) -> None:
        self.invalidate()

    def on_blur(self) -> None:
        self.invalidate()

    # --- movement -------------------------------------------------------------------

    def move_to(self, index: int, by_user: bool = False) -> None:
        """Put the cursor on line ``index`` and scroll it into view."""
        count = self.line_count()
        if count == 0:
            return
        index = max(0, min(count - 1, index))
        self._moving_by_user = by_user
        self.cursor = index
        self._moving_by_user = False
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta, by_user=True)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        self.move_to(self.cursor + direction * height, by_user=True)

    def action_jump(self, where: int) -> None:
        self.move_to(self.line_count() - 1 if where < 0 else where, by_user=True)

    def action_choose(self) -> None:
        if self.line_count():
            self.post_message(self.Chosen(self, self.cursor))

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if isinstance(y, int):
            self.move_to(int(self.scroll_offset.y) + y, by_user=True)

    def visible_range(self) -> tuple[int, int]:
        """First line on screen and one past the last."""
        top = int(self.scroll_offset.y)
        height = max(1, self.scrollable_content_region.height)
        return top, min(self.line_count(), top + height)

    def key_column(self, paged: PagedRows) -> int:
        """The key column's width; lines drawn narrower are redrawn once it grows."""
        if paged.key_width != self._drawn_key_width:
            self._drawn_key_width = paged.key_width
            self._strips.clear()
            self.refresh()
        return paged.key_width

    def style_of(self, name: str) -> Style:
        """A component style such as ``dim`` or ``kept``."""
        return self.get_component_rich_style(f"record-view--{name}")


class PagedRows:
    """An input source read a page at a time through an LRU cache."""

    def __init__(self, source: InputSource) -> None:
        self.source = source
        self.count = source.count()
        self._pages: LRUCache[int, list[InputRow]] = LRUCache(64)
        self.key_width = 0
        """The widest key shown of the rows read so far (0: no keys yet)."""

    def row(self, index: int) -> InputRow | None:
        """The row at ``index``, or None past the end."""
        page_number, position = divmod(index, PAGE_ROWS)
        page = self._pages.get(page_number)
        if page is None:
            page = self.source.rows(page_number * PAGE_ROWS, PAGE_ROWS)
            self._pages.set(page_number, page)
            self.key_width = max(self.key_width, _widest_key(page))
        return page[position] if position < len(page) else None

    def grow(self, count: int | None = None) -> int:
        """Recount (or take ``count``, just read) after appends; returns the new."""
        if count is None:
            count = self.source.count()
        added = count - self.count
        if added > 0:
            last_page = (self.count - 1) // PAGE_ROWS if self.count else 0
            self._pages.discard(last_page)
            self.count = count
        return max(0, added)


class InputView(RecordView):
    """The Input pane: offset, key, timestamp and value of each input row."""

    def __init__(self, source: InputSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.paged = PagedRows(source)
        self.leads_unfocused = True

    @property
    def source(self) -> InputSource:
        """Where the rows come from."""
        return self.paged.source

    def set_source(self, source: InputSource) -> None:
        """Show another input (topic switched, scratch edited)."""
        self.paged = PagedRows(source)
        self.refresh_lines_count()

    def grow(self, count: int | None = None) -> int:
        """Recount after records were appended; returns how many are new."""
        added = self.paged.grow(count)
        if added:
            self.refresh_lines_count()
        return added

    def line_count(self) -> int:
        return self.paged.count

    def row(self, index: int) -> InputRow | None:
        """The input row at ``index`` (read through the page cache)."""
        return self.paged.row(index)

    def rows(self, start: int, stop: int) -> list[InputRow]:
        """Rows ``start`` to ``stop`` through the cache."""
        found = (self.row(i) for i in range(start, stop))
        return [row for row in found if row is not None]

    def render_row(self, index: int) -> Text:
        row = self.row(index)
        if row is None:
            return Text("…", style=self.style_of("dim"))
        return row_text(self, row, key_width=self.key_column(self.paged))


def key_preview(key: bytes) -> str:
    """The part of a key a pane has room for."""
    return preview(key, 40)[:KEY_COLUMN_LIMIT]


def _widest_key(rows: list[InputRow]) -> int:
    keys = (key_preview(row.key) for row in rows if row.key is not None)
    return max((cell_len(key) for key in keys), default=0)


FULL_TIME_WIDTH = 80
"""Panes at least this wide show each record's date and time."""
CLOCK_TIME_WIDTH = 44
"""Panes at least this wide show each record's time of day."""


def row_text(
    view: RecordView, row: InputRow, offset: int | None = None, key_width: int = 0
) -> Text:
    """Columns that fit the width: offset, then key and time when wide enough.

    The key column is ``key_width`` cells wide, blank for a record with no key, so
    every value starts in the same column.
    """
    width = view.size.width
    text = Text()
    shown = row.offset if offset is None else offset
    text.append(f"{shown:>7} " if shown >= 0 else "      — ", view.style_of("offset"))
    if width >= FULL_TIME_WIDTH and row.timestamp:
        text.append(format_timestamp(row.timestamp) + " ", view.style_of("dim"))
    elif width >= CLOCK_TIME_WIDTH and row.timestamp:
        # Half a 120-column screen: the time of day, the date is in the detail.
        text.append(format_timestamp(row.timestamp)[11:] + " ", view.style_of("dim"))
    if key_width and width >= 40:
        key = key_preview(row.key) if row.key is not None else ""
        padding = " " * max(0, key_width - cell_len(key))
        text.append(key + padding + " ", view.style_of("key"))
    text.append(preview(row.value))
    return text
