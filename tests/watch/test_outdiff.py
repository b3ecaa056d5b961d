"""The output diff: keyed by input offset, children aligned, exact lines and counts."""

from __future__ import annotations

from workbench.engine.outdiff import DiffOp, OutputRecord, diff_outputs


def _outputs(values: dict[int, str], partition: int = 0) -> list[OutputRecord]:
    return [
        OutputRecord(offset, value.encode(), partition=partition)
        for offset, value in values.items()
    ]


def test_identical_outputs_print_only_the_summary() -> None:
    records = _outputs({0: "a", 1: "b"})

    diff = diff_outputs(records, list(records))

    assert diff.is_empty
    assert diff.format() == ["= 0 changed, 0 added, 0 removed, 2 unchanged"]


def test_changed_added_and_removed_lines_in_offset_order() -> None:
    old = _outputs({10: "FOO", 11: "keep", 12: "BAR", 14: "gone"})
    new = _outputs({10: "foo", 11: "keep", 12: "BAR", 13: "new"})

    diff = diff_outputs(old, new)

    assert diff.format() == [
        "~ 10  FOO → foo",
        "+ 13  new",
        "- 14  gone",
        "= 1 changed, 1 added, 1 removed, 2 unchanged",
    ]
    assert [line.op for line in diff.lines] == [
        DiffOp.CHANGED,
        DiffOp.ADDED,
        DiffOp.REMOVED,
    ]


def test_array_map_children_are_aligned_under_their_parent() -> None:
    old = [
        OutputRecord(5, b"a"),
        OutputRecord(5, b"b"),
        OutputRecord(5, b"c"),
        OutputRecord(9, b"x"),
    ]
    new = [
        OutputRecord(5, b"first"),
        OutputRecord(5, b"a"),
        OutputRecord(5, b"b"),
        OutputRecord(5, b"C"),
        OutputRecord(9, b"x"),
        OutputRecord(9, b"y"),
    ]

    diff = diff_outputs(old, new)

    assert diff.format() == [
        "+ 5  first",
        "~ 5  c → C",
        "+ 9  y",
        "= 1 changed, 2 added, 0 removed, 3 unchanged",
    ]


def test_a_change_of_key_alone_shows_the_keys() -> None:
    old = [OutputRecord(3, b"v", key=b"k1")]
    new = [OutputRecord(3, b"v", key=None)]

    assert diff_outputs(old, new).format()[0] == "~ 3  [k1] v → [null] v"


def test_offsets_are_labelled_with_partitions_when_there_are_several() -> None:
    old = _outputs({0: "a"}, partition=0) + _outputs({0: "b"}, partition=1)
    new = _outputs({0: "a"}, partition=0) + _outputs({0: "B"}, partition=1)

    assert diff_outputs(old, new).format() == [
        "~ 1:0  b → B",
        "= 1 changed, 0 added, 0 removed, 1 unchanged",
    ]


def test_a_custom_renderer_formats_both_sides() -> None:
    diff = diff_outputs(_outputs({1: "a"}), _outputs({1: "b"}))

    lines = diff.format(lambda record: f"<{record.value.decode()}>")

    assert lines[0] == "~ 1  <a> → <b>"
