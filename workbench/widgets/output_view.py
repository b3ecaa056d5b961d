"""The Output pane, drawn for the module's kind.

Three layouts: *aligned* (line i is the output of input row i: filter, map,
filter-map, aggregate), *tree* (array-map children under the row that produced them)
and *stream* (plain records: a whole-topic run's output topic, or a chain's output
that cannot be attributed to rows).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from rich.text import Text

from workbench.bench import InputRow, InputSource, OutputRecord, WindowResult
from workbench.engine.types import ModuleKind
from workbench.widgets.record_view import PagedRows, RecordView, preview, row_text

ALIGNED = "aligned"
TREE = "tree"
STREAM = "stream"


@dataclass(frozen=True, slots=True)
class OutputLine:
    """What a line of the Output pane refers to, for the detail view."""

    row_index: int | None
    """Input row it belongs to (None when unknown)."""
    record: OutputRecord | InputRow | None
    """The output record on this line (None for a parent or placeholder)."""
    offset: int | None = None


class OutputView(RecordView):
    """Outputs of the current window, aligned, as a tree, or as a stream."""

    HELP = (
        "The module's output. Filters mark each input kept or dropped (h hides "
        "dropped records); maps line up with their input; array-map children sit "
        "under the record that produced them; aggregates show the running "
        "accumulator. ✎ marks a record the module wrote a log for, ✗ the one that "
        "made it fail. Enter opens the record with its log and error."
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = ALIGNED
        self.kind: ModuleKind | None = None
        self.input_count = 0
        self.window: WindowResult | None = None
        self._tree: list[tuple[int, int]] = []
        self._stream: PagedRows | None = None
        self._stream_offsets: array[int] | None = None
        self.placeholder = "…"
        self.line_rows: list[int | None] | None = None
        """Scratch input: the row each aligned line shows (None: a blank line)."""

    # --- what to show ---------------------------------------------------------------

    def show_window(
        self, window: WindowResult | None, input_count: int, kind: ModuleKind | None
    ) -> None:
        """Show outputs computed for a window of input rows."""
        self.window = window
        self.input_count = input_count
        self.kind = kind
        attributed = window is None or window.attributed
        if kind is ModuleKind.ARRAY_MAP and attributed:
            self.mode = TREE
        elif attributed:
            self.mode = ALIGNED
        else:
            self.mode = STREAM
            self._stream = None
        self._tree = self._build_tree() if self.mode == TREE else []
        self.refresh_lines_count()

    def set_line_rows(self, line_rows: list[int | None] | None) -> None:
        """Align lines with the scratch editor's (None: one line per input row)."""
        self.line_rows = line_rows
        self.refresh_lines_count()

    def _aligned_row(self, index: int) -> int | None:
        """The input row aligned line ``index`` shows; None for a blank line."""
        if self.line_rows is None:
            return index
        return self.line_rows[index] if index < len(self.line_rows) else None

    def show_stream(self, source: InputSource, source_offsets: array[int]) -> None:
        """Show a topic of outputs (a whole-topic run), numbered by input offset."""
        self.mode = STREAM
        self._stream = PagedRows(source)
        self._stream_offsets = source_offsets
        self.refresh_lines_count()

    def shows_topic(self, topic: str) -> bool:
        """True when the pane pages through ``topic`` (a whole-topic run's output)."""
        stream = self._stream if self.mode == STREAM else None
        source = stream.source if stream is not None else None
        return getattr(source, "topic", None) == topic

    def _build_tree(self) -> list[tuple[int, int]]:
        lines: list[tuple[int, int]] = []
        if self.window is None:
            return lines
        for index in range(self.window.start, self.window.end):
            children = self.window.outputs.get(index - self.window.start)
            lines.append((index, -1))
            if children is not None:
                lines.extend((index, child) for child in range(len(children)))
        return lines

    @property
    def attributes_rows(self) -> bool:
        """True when lines belong to rows of the current window, not to a stream."""
        return self.mode != STREAM

    def line_count(self) -> int:
        if self.mode == ALIGNED:
            if self.line_rows is not None:
                return len(self.line_rows)
            return self.input_count
        if self.mode == TREE:
            return len(self._tree)
        if self._stream is not None:
            return self._stream.count
        return len(self.window.stream) if self.window else 0

    # --- lines ----------------------------------------------------------------------

    def line_at(self, index: int) -> OutputLine:
        """What line ``index`` shows."""
        if self.mode == ALIGNED:
            row_index = self._aligned_row(index)
            if row_index is None:
                return OutputLine(None, None)
            outputs = self._outputs_of(row_index)
            record = outputs[0] if outputs else None
            return OutputLine(row_index, record)
        if self.mode == TREE:
            row, child = self._tree[index]
            outputs = self._outputs_of(row) or []
            return OutputLine(row, outputs[child] if child >= 0 else None)
        if self._stream is not None:
            stream_row = self._stream.row(index)
            offset = self._source_offset(index)
            return OutputLine(None, stream_row, offset)
        record = self.window.stream[index] if self.window else None
        return OutputLine(None, record)

    def _outputs_of(self, row: int) -> list[OutputRecord] | None:
        window = self.window
        if window is None or not window.start <= row < window.end:
            return None
        return window.outputs.get(row - window.start)

    def _source_offset(self, index: int) -> int | None:
        offsets = self._stream_offsets
        if offsets is None or index >= len(offsets):
            return None
        return offsets[index]

    def render_row(self, index: int) -> Text:
        if self.mode == TREE:
            return self._tree_text(index)
        if self.mode == STREAM:
            return self._stream_text(index)
        return self._aligned_text(index)

    def _aligned_text(self, line: int) -> Text:
        index = self._aligned_row(line)
        if index is None:
            return Text("")
        window = self.window
        if window is None or not window.start <= index < window.end:
            return Text(self.placeholder, style=self.style_of("dim"))
        position = index - window.start
        mark = self._log_mark(window, position)
        if position in window.outputs:
            return self._output_text(window.outputs[position], mark)
        if window.row_failed(position):
            return self._status_text("✗", self._problem(window), "error", mark)
        if window.failure is not None and window.error_index is None:
            return self._status_text("✗", "failed", "error", mark)
        return self._status_text("·", "not processed", "dim", mark)

    def _problem(self, window: WindowResult) -> str:
        if window.error is not None:
            return f"error: {window.error.hint}"
        reason = (window.failure or "").splitlines()[0]
        return f"failed here: {reason}" if reason else "failed here"

    def _log_mark(self, window: WindowResult, position: int) -> Text:
        # Before the value, so a long value never cuts it off; Enter shows the log.
        if not window.row_logs(position):
            return Text()
        return Text("✎ ", self.style_of("key"))

    def _status_text(self, glyph: str, words: str, style: str, mark: Text) -> Text:
        if not mark:
            return Text(f"{glyph} {words}", self.style_of(style))
        text = Text(f"{glyph} ", self.style_of(style))
        text.append_text(mark)
        text.append(words, self.style_of(style))
        return text

    def _output_text(self, outputs: list[OutputRecord], mark: Text) -> Text:
        if not outputs:
            return self._status_text("✗", "dropped", "dropped", mark)
        kind = self.kind
        first = outputs[0]
        text = Text()
        if kind is ModuleKind.FILTER:
            text.append("✓ ", self.style_of("kept"))
        elif kind is ModuleKind.FILTER_MAP:
            text.append("→ ", self.style_of("kept"))
        text.append_text(mark)
        if first.key is not None and self.size.width >= 40:
            text.append(preview(first.key, 40)[:12] + " ", self.style_of("key"))
        text.append(preview(first.value))
        if len(outputs) > 1:
            text.append(f"  (+{len(outputs) - 1})", self.style_of("dim"))
        return text

    def _tree_text(self, index: int) -> Text:
        row, child = self._tree[index]
        outputs = self._outputs_of(row)
        if child < 0:
            text = Text(f"▾ {self._row_offset(row):>7} ", self.style_of("offset"))
            window = self.window
            position = row - window.start if window is not None else -1
            if window is not None and 0 <= position < len(window.rows):
                text.append_text(self._log_mark(window, position))
            if window is not None and window.row_failed(position):
                text.append(f"✗ {self._problem(window)}", self.style_of("error"))
            elif outputs is None:
                text.append("error or not processed", self.style_of("error"))
            else:
                count = len(outputs)
                label = "child" if count == 1 else "children"
                text.append(f"→ {count:,} {label}", self.style_of("dim"))
            return text
        record = (outputs or [])[child]
        text = Text("    ")
        if record.key is not None:
            text.append(preview(record.key, 40)[:12] + " ", self.style_of("key"))
        text.append(preview(record.value))
        return text

    def _row_offset(self, row: int) -> int:
        window = self.window
        if window is not None and window.start <= row < window.end:
            return window.rows[row - window.start].offset
        return row

    def _stream_text(self, index: int) -> Text:
        if self._stream is not None:
            record = self._stream.row(index)
            if record is None:
                return Text(self.placeholder, style=self.style_of("dim"))
            offset = self._source_offset(index)
            shown = -1 if offset is None else offset
            return row_text(self, record, shown, self.key_column(self._stream))
        if self.window is None or index >= len(self.window.stream):
            return Text("")
        output = self.window.stream[index]
        text = Text("      · ", self.style_of("offset"))
        if output.key is not None:
            text.append(preview(output.key, 40)[:12] + " ", self.style_of("key"))
        text.append(preview(output.value))
        return text
