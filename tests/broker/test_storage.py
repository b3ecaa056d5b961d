"""The SQLite broker: topics, offsets, routing, batches and random access."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.engine.batches import iter_fields
from workbench.engine.broker import (
    BATCH_MAX_RECORDS,
    Broker,
    PartitionInfo,
    RecordTooLargeError,
    TopicExistsError,
    TopicInfo,
    coalesce_batches,
    key_partition,
)
from workbench.engine.records import decode_records
from workbench.errors import NotFoundError, UsageError


@pytest.fixture
def broker(workspace: Path) -> Broker:
    return Broker.open(workspace)


def _values(broker: Broker, topic: str, partition: int) -> list[bytes]:
    return [
        record.value
        for batch in broker.read_batches(topic, partition)
        for record in decode_records(batch.records)
    ]


def test_database_uses_wal_and_normal_sync(broker: Broker, workspace: Path) -> None:
    connection = sqlite3.connect(workspace / "smartbench.db")

    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert broker.connection.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_create_list_and_delete_topics(broker: Broker) -> None:
    broker.create_topic("beta", partitions=3)
    broker.create_topic("alpha")
    broker.produce("alpha", [b"one", b"two"])

    topics = broker.list_topics()

    assert [t.name for t in topics] == ["alpha", "beta"]
    assert topics[0].records == 2 and topics[0].size > 0
    assert topics[1] == TopicInfo("beta", 3, 0, 0)
    broker.delete_topic("alpha")
    assert [t.name for t in broker.list_topics()] == ["beta"]
    with pytest.raises(NotFoundError):
        broker.delete_topic("alpha")


def test_duplicate_topic_is_refused(broker: Broker) -> None:
    broker.create_topic("orders")

    with pytest.raises(TopicExistsError, match="Topic already exists"):
        broker.create_topic("orders")


@pytest.mark.parametrize(
    "name", ["../x", "Upper", "a_b", "-lead", "trail-", "", "a" * 64, "a/b", "é"]
)
def test_invalid_topic_names_are_refused(broker: Broker, name: str) -> None:
    with pytest.raises(UsageError, match="Invalid topic name"):
        broker.create_topic(name)


def test_longest_valid_name_is_accepted(broker: Broker) -> None:
    broker.create_topic("a" * 63)

    assert broker.topic_exists("a" * 63)


def test_offsets_continue_across_produce_calls(broker: Broker) -> None:
    broker.create_topic("log")

    first = broker.produce("log", [b"a", b"b"])
    second = broker.produce("log", [b"c"])

    assert first == {0: range(0, 2)}
    assert second == {0: range(2, 3)}
    assert broker.high_watermark("log", 0) == 3
    assert _values(broker, "log", 0) == [b"a", b"b", b"c"]


def test_unkeyed_records_go_round_robin_across_calls(broker: Broker) -> None:
    broker.create_topic("rr", partitions=3)

    broker.produce("rr", [b"0", b"1"])
    broker.produce("rr", [b"2", b"3", b"4"])

    assert _values(broker, "rr", 0) == [b"0", b"3"]
    assert _values(broker, "rr", 1) == [b"1", b"4"]
    assert _values(broker, "rr", 2) == [b"2"]


def test_keyed_records_follow_a_stable_hash(broker: Broker) -> None:
    broker.create_topic("keyed", partitions=4)
    keys: list[bytes | None] = [b"LAX", b"SEA", b"LAX", b"JFK", b"SEA"]

    broker.produce("keyed", [b"1", b"2", b"3", b"4", b"5"], keys)

    for key in (b"LAX", b"SEA", b"JFK"):
        partition = key_partition(key, 4)
        records = [
            r for b in broker.read_batches("keyed", partition)
            for r in decode_records(b.records)
        ]  # fmt: skip
        assert key in {r.key for r in records}


@pytest.mark.parametrize("seed", ["1", "2"])
def test_key_partition_is_the_same_in_other_processes(seed: str) -> None:
    keys = [b"LAX", b"SEA", b"JFK", b"ORD", b"id-1", b"id-2"]
    probe = (
        "from workbench.engine.broker import key_partition\n"
        f"print([key_partition(k, 7) for k in {keys!r}])"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )

    assert result.stdout.strip() == str([key_partition(k, 7) for k in keys])
    assert len({key_partition(k, 7) for k in keys}) > 1


def test_fixed_partition_and_unknown_partition(broker: Broker) -> None:
    broker.create_topic("two", partitions=2)

    broker.produce("two", [b"x", b"y"], partition=1)

    assert broker.partitions("two") == [
        PartitionInfo("two", 0, 0, 0, 0),
        PartitionInfo("two", 1, 0, 2, broker.partitions("two")[1].size),
    ]
    with pytest.raises(NotFoundError, match="Partition 2 not found"):
        broker.produce("two", [b"z"], partition=2)


def test_oversized_record_keeps_the_records_before_it(workspace: Path) -> None:
    broker = Broker.open(workspace, max_record_size=10)
    broker.create_topic("small")

    with pytest.raises(RecordTooLargeError) as caught:
        broker.produce("small", [b"ok", b"fine", b"x" * 11, b"after"])

    assert caught.value.index == 2 and caught.value.size == 11
    assert "11 bytes" in caught.value.message and "10 bytes" in caught.value.message
    assert _values(broker, "small", 0) == [b"ok", b"fine"]


def test_batches_hold_record_lists_with_their_metadata(broker: Broker) -> None:
    broker.create_topic("big")
    count = BATCH_MAX_RECORDS * 2 + 5

    broker.produce("big", [b"v%d" % n for n in range(count)], timestamps=1_000)

    rows = broker.connection.execute(
        "SELECT base_offset, base_timestamp, count, size, length(records) "
        "FROM batches ORDER BY base_offset"
    ).fetchall()
    assert [row[0] for row in rows] == [0, BATCH_MAX_RECORDS, 2 * BATCH_MAX_RECORDS]
    assert [row[2] for row in rows] == [BATCH_MAX_RECORDS, BATCH_MAX_RECORDS, 5]
    assert all(row[1] == 1_000 and row[3] == row[4] for row in rows)


def test_timestamps_far_apart_start_a_new_batch(broker: Broker) -> None:
    broker.create_topic("years")
    day = 86_400_000
    stamps = [0, day, 30 * day, 31 * day]

    broker.produce("years", [b"a", b"b", b"c", b"d"], timestamps=stamps)

    records = broker.read_records("years", 0, 0, 10)
    assert [r.timestamp for r in records] == stamps
    assert len(list(broker.read_batches("years", 0))) == 2


def test_read_batches_trims_to_the_requested_range(broker: Broker) -> None:
    broker.create_topic("range")
    broker.produce("range", [b"%d" % n for n in range(2500)])

    batches = list(broker.read_batches("range", 0, 998, 1003))

    assert [(b.base_offset, b.first_offset, b.count) for b in batches] == [
        (0, 998, 2),
        (1000, 1000, 3),
    ]
    offsets = [
        b.base_offset + delta
        for b in batches
        for delta, _, _, _ in iter_fields(b.records)
    ]
    assert offsets == [998, 999, 1000, 1001, 1002]


def test_read_records_gives_absolute_offsets_deep_in_a_topic(broker: Broker) -> None:
    broker.create_topic("deep")
    for start in range(0, 20_000, 5_000):
        broker.produce("deep", [b"%d" % n for n in range(start, start + 5_000)])

    records = broker.read_records("deep", 0, 17_321, 3)

    assert [(r.offset, r.value) for r in records] == [
        (17_321, b"17321"),
        (17_322, b"17322"),
        (17_323, b"17323"),
    ]
    assert broker.read_records("deep", 0, 19_999, 10)[-1].offset == 19_999
    assert broker.read_records("deep", 0, 20_000, 10) == []


def test_change_token_moves_when_another_connection_writes(workspace: Path) -> None:
    reader = Broker.open(workspace)
    writer = Broker.open(workspace)
    writer.create_topic("live")
    before = reader.change_token()

    writer.produce("live", [b"new"])

    assert reader.change_token() != before
    assert reader.read_records("live", 0, 0, 5)[0].value == b"new"


def test_unknown_topic_is_not_found(broker: Broker) -> None:
    with pytest.raises(NotFoundError, match='Topic "ghost" not found'):
        broker.produce("ghost", [b"x"])
    with pytest.raises(NotFoundError):
        list(broker.read_batches("ghost", 0))


def test_history_gives_the_last_records_and_those_young_enough(
    broker: Broker,
) -> None:
    broker.create_topic("past")
    assert broker.history("past", 0, last=5) is None
    broker.produce("past", [b"old", b"mid"], timestamps=[1_000, 50_000])
    broker.produce("past", [b"new"], timestamps=[90_000])

    last_two = decode_records(broker.history("past", 0, last=2) or b"")
    young = decode_records(
        broker.history("past", 0, age_seconds=45, now=100_000) or b""
    )
    both = decode_records(
        broker.history("past", 0, last=1, age_seconds=1000, now=100_000) or b""
    )

    assert [r.value for r in last_two] == [b"mid", b"new"]
    assert [r.value for r in young] == [b"new"]
    assert [r.value for r in both] == [b"new"]
    # Records keep the deltas of their own stored batch.
    assert [(r.offset_delta, r.timestamp_delta) for r in last_two] == [
        (1, 49_000),
        (0, 0),
    ]


def test_large_records_cut_batches_by_size(broker: Broker) -> None:
    broker.create_topic("wide")
    values = [bytes([n]) * 400_000 for n in range(7)]

    broker.produce("wide", values, timestamps=5)

    counts = [b.count for b in broker.read_batches("wide", 0)]
    assert counts == [3, 3, 1]
    assert [r.value for r in broker.read_records("wide", 0, 0, 10)] == values


def test_coalesce_merges_small_batches_and_keeps_absolute_positions(
    broker: Broker,
) -> None:
    broker.create_topic("typed")
    for n in range(30):
        broker.produce("typed", [b"t%d" % n], timestamps=1_000 + 7 * n)
    broker.produce("typed", [b"bulk%d" % n for n in range(150)], timestamps=9_000)
    broker.produce("typed", [b"late"], timestamps=10_000)

    merged = list(coalesce_batches(broker.read_batches("typed", 0, 3)))

    assert [(b.base_offset, b.first_offset, b.count) for b in merged] == [
        (3, 3, 27),
        (30, 30, 150),
        (180, 180, 1),
    ]
    first = decode_records(merged[0].records)
    assert [merged[0].base_offset + r.offset_delta for r in first] == list(range(3, 30))
    assert [merged[0].base_timestamp + r.timestamp_delta for r in first] == [
        1_000 + 7 * n for n in range(3, 30)
    ]
