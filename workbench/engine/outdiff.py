"""The difference between two outputs of the same input window, keyed by input offset.

Watch mode runs the window through the old module and the new one and shows only
what moved: ``- 12  FOO`` (output gone), ``+ 12  foo`` (new output), ``~ 12  BAR →
bar`` (changed), then ``= 3 changed, 1 added, 2 removed, 994 unchanged``.

An input offset may own several outputs (array-map children, which carry the first
input offset of their engine call); those lists are aligned with a sequence matcher,
so one child inserted at the front shows as one ``+`` line, not as every child
changed. The result is plain data so the TUI can colour each line by its operation.
"""

from __future__ import annotations

import difflib
import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

ARROW = "→"


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """One record a module produced, with the input offset it is shown under."""

    offset: int
    value: bytes
    key: bytes | None = None
    partition: int = 0
    timestamp: int | None = None
    """Milliseconds since the epoch, or None when the record carries no time."""

    @property
    def content(self) -> tuple[bytes | None, bytes]:
        """What the diff compares: the key and the value."""
        return (self.key, self.value)


class DiffOp(enum.Enum):
    """What happened to one output between two runs; the value is the line's mark."""

    REMOVED = "-"
    ADDED = "+"
    CHANGED = "~"


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One printed line of a diff: removed has only ``old``, added only ``new``."""

    op: DiffOp
    partition: int
    offset: int
    old: OutputRecord | None
    new: OutputRecord | None


RenderRecord = Callable[[OutputRecord], str]


def render_value(record: OutputRecord) -> str:
    """The record's value as lossy UTF-8, the default text of a diff line."""
    return record.value.decode("utf-8", "replace")


@dataclass(frozen=True)
class OutputDiff:
    """Every changed, added and removed output, in offset order, plus the counts."""

    lines: tuple[DiffLine, ...]
    changed: int
    added: int
    removed: int
    unchanged: int
    partitions: tuple[int, ...] = ()
    """Partitions seen on either side; offsets are labelled with them when several."""

    @property
    def is_empty(self) -> bool:
        """True when the two outputs are identical."""
        return not self.lines

    def summary(self) -> str:
        """The closing line, e.g. ``= 3 changed, 1 added, 2 removed, 994 unchanged``."""
        return (
            f"= {self.changed} changed, {self.added} added, "
            f"{self.removed} removed, {self.unchanged} unchanged"
        )

    def label(self, line: DiffLine) -> str:
        """How a line's offset is printed: ``12``, or ``1:12`` across partitions."""
        if len(self.partitions) > 1:
            return f"{line.partition}:{line.offset}"
        return str(line.offset)

    def format_line(self, line: DiffLine, render: RenderRecord = render_value) -> str:
        """One diff line as text: mark, offset, two spaces, then the record text."""
        head = f"{line.op.value} {self.label(line)}  "
        if line.op is DiffOp.CHANGED:
            assert line.old is not None and line.new is not None
            old_text, new_text = _distinct_texts(line.old, line.new, render)
            return f"{head}{old_text} {ARROW} {new_text}"
        record = line.new if line.op is DiffOp.ADDED else line.old
        assert record is not None
        return head + render(record)

    def format(self, render: RenderRecord = render_value) -> list[str]:
        """Every changed line, then the summary line."""
        return [self.format_line(line, render) for line in self.lines] + [
            self.summary()
        ]


def diff_outputs(
    old: Iterable[OutputRecord], new: Iterable[OutputRecord]
) -> OutputDiff:
    """Compare two outputs of one input window, keyed by (partition, input offset).

    Args:
        old: The outputs of the module that was running, in any order; records
            sharing an input offset keep their relative order.
        new: The outputs of the module that replaced it.

    Returns:
        The lines to print, sorted by partition and offset, with the counts of
        changed, added, removed and unchanged outputs.
    """
    old_groups = _group(old)
    new_groups = _group(new)
    keys = sorted(old_groups.keys() | new_groups.keys())

    lines: list[DiffLine] = []
    unchanged = 0
    for key in keys:
        group_lines, same = _diff_group(
            key, old_groups.get(key, []), new_groups.get(key, [])
        )
        lines.extend(group_lines)
        unchanged += same

    return OutputDiff(
        lines=tuple(lines),
        changed=sum(line.op is DiffOp.CHANGED for line in lines),
        added=sum(line.op is DiffOp.ADDED for line in lines),
        removed=sum(line.op is DiffOp.REMOVED for line in lines),
        unchanged=unchanged,
        partitions=tuple(sorted({partition for partition, _ in keys})),
    )


def _group(
    records: Iterable[OutputRecord],
) -> dict[tuple[int, int], list[OutputRecord]]:
    groups: dict[tuple[int, int], list[OutputRecord]] = defaultdict(list)
    for record in records:
        groups[(record.partition, record.offset)].append(record)
    return groups


def _diff_group(
    key: tuple[int, int], old: Sequence[OutputRecord], new: Sequence[OutputRecord]
) -> tuple[list[DiffLine], int]:
    partition, offset = key
    if len(old) <= 1 and len(new) <= 1:
        return _diff_pair(partition, offset, old, new)

    # autojunk would treat repeated children (common in array-maps) as noise.
    matcher = difflib.SequenceMatcher(
        a=[record.content for record in old],
        b=[record.content for record in new],
        autojunk=False,
    )
    lines: list[DiffLine] = []
    unchanged = 0
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            unchanged += old_end - old_start
            continue
        lines.extend(
            _pair_up(partition, offset, old[old_start:old_end], new[new_start:new_end])
        )
    return lines, unchanged


def _diff_pair(
    partition: int,
    offset: int,
    old: Sequence[OutputRecord],
    new: Sequence[OutputRecord],
) -> tuple[list[DiffLine], int]:
    old_record = old[0] if old else None
    new_record = new[0] if new else None
    if old_record is not None and new_record is not None:
        if old_record.content == new_record.content:
            return [], 1
        return [DiffLine(DiffOp.CHANGED, partition, offset, old_record, new_record)], 0
    if old_record is not None:
        return [DiffLine(DiffOp.REMOVED, partition, offset, old_record, None)], 0
    if new_record is not None:
        return [DiffLine(DiffOp.ADDED, partition, offset, None, new_record)], 0
    return [], 0


def _pair_up(
    partition: int,
    offset: int,
    old: Sequence[OutputRecord],
    new: Sequence[OutputRecord],
) -> list[DiffLine]:
    # A replaced run pairs its children in order as changes; the longer side's
    # rest is added or removed.
    paired = min(len(old), len(new))
    lines = [
        DiffLine(DiffOp.CHANGED, partition, offset, old[i], new[i])
        for i in range(paired)
    ]
    lines += [
        DiffLine(DiffOp.REMOVED, partition, offset, record, None)
        for record in old[paired:]
    ]
    lines += [
        DiffLine(DiffOp.ADDED, partition, offset, None, record)
        for record in new[paired:]
    ]
    return lines


def _distinct_texts(
    old: OutputRecord, new: OutputRecord, render: RenderRecord
) -> tuple[str, str]:
    # A change of key alone would read "X → X" when keys are not shown: show them.
    old_text, new_text = render(old), render(new)
    if old_text == new_text:
        old_text, new_text = _with_key(old, old_text), _with_key(new, new_text)
    return old_text, new_text


def _with_key(record: OutputRecord, text: str) -> str:
    key = "null" if record.key is None else record.key.decode("utf-8", "replace")
    return f"[{key}] {text}"
