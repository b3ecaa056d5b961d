"""Plain-text tables and sizes the way the `list` commands print them."""

from __future__ import annotations

from collections.abc import Sequence


def human_size(size: int) -> str:
    """A byte count for a column: ``512 B``, ``85.7 KB``, ``1.2 MB`` (1 KB = 1024 B)."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    right_aligned: Sequence[int] = (),
) -> str:
    """Columns separated by two spaces; ``right_aligned`` lists column indexes."""
    cells = [list(header)] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [
            cell.rjust(width) if index in right_aligned else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
