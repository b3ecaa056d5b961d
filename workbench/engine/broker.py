"""The embedded broker: topics, partitions and offsets in one SQLite file.

Records are stored in batches, each already a Fluvio record list (u32 count, then
records with offset and timestamp deltas), so a consumer hands a stored batch to a
SmartModule as ``raw_bytes`` without re-encoding it. A batch row also keeps its base
offset, base timestamp, record count and byte size; an index on
``(partition_id, base_offset)`` finds the batch holding any offset in one lookup.

Several processes (the TUI, the REPL, CLI commands) share one workspace. SQLite's
WAL journal lets readers go on while one writer writes, and a busy timeout makes a
second writer wait instead of failing. Offsets are assigned inside the writing
transaction (``BEGIN IMMEDIATE``) from the partition row, never from a value cached
between transactions, so concurrent producers never reuse an offset. Each write is
one transaction: after a crash, every partition holds an unbroken prefix of what
was sent. ``synchronous=NORMAL`` keeps that promise for a process crash, not for a
power loss.

Example::

    broker = Broker.open(workspace_dir)
    broker.create_topic("greetings", partitions=2)
    broker.produce("greetings", [b"hello", b"world"])
    for batch in broker.read_batches("greetings", 0, start_offset=0):
        ...
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from workbench.engine.batches import (
    decode_fields,
    encode_batch,
    iter_fields,
    record_spans,
    slice_batch,
)
from workbench.engine.records import encode_record
from workbench.errors import (
    NotFoundError,
    RecordsRefusedError,
    SmartbenchError,
    UsageError,
)

log = logging.getLogger(__name__)

DATABASE_NAME = "smartbench.db"
DEFAULT_MAX_RECORD_SIZE = 8 * 1024 * 1024
BUSY_TIMEOUT_SECONDS = 60.0
WAL_CHECKPOINT_PAGES = 10_000
WAL_SIZE_LIMIT = 64 * 1024 * 1024

BATCH_MAX_RECORDS = 1000
"""Records per stored batch: big enough for cheap engine calls, small enough that
decoding one batch to show a screenful of records stays quick."""
BATCH_MAX_BYTES = 1024 * 1024

# Timestamp deltas are varints that Fluvio's codec keeps only within the i32 range,
# so records further apart than that from their batch base start a new batch.
_DELTA_MIN = -(1 << 31)
_DELTA_MAX = (1 << 31) - 1

# Merged batches keep record timestamp deltas well inside the i32 varint range.
_MERGE_SPAN = 1 << 30

NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
"""What topic and SmartModule names are made of."""
NAME_LIMIT = 63
"""The longest topic or SmartModule name, in characters."""
_NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS topics (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    partitions INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    next_round_robin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS partitions (
    id INTEGER PRIMARY KEY,
    topic_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    base INTEGER NOT NULL DEFAULT 0,
    hw INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    UNIQUE (topic_id, partition)
);
CREATE TABLE IF NOT EXISTS batches (
    partition_id INTEGER NOT NULL,
    base_offset INTEGER NOT NULL,
    base_timestamp INTEGER NOT NULL,
    count INTEGER NOT NULL,
    size INTEGER NOT NULL,
    records BLOB NOT NULL,
    PRIMARY KEY (partition_id, base_offset)
);
"""


class TopicExistsError(SmartbenchError):
    """A topic with this name is already there."""

    title = "Topic exists"


class RecordTooLargeError(RecordsRefusedError):
    """A record is bigger than the broker's maximum record size."""

    def __init__(self, message: str, index: int, size: int, limit: int) -> None:
        super().__init__(message)
        self.index = index
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class TopicInfo:
    """A topic as ``topic list`` shows it."""

    name: str
    partitions: int
    records: int
    """Stored records over all partitions."""
    size: int
    """Bytes of stored record lists over all partitions."""


@dataclass(frozen=True)
class PartitionInfo:
    """One partition of a topic as ``partition list`` shows it."""

    topic: str
    partition: int
    base: int
    """First stored offset."""
    hw: int
    """High watermark: the offset the next record gets."""
    size: int


@dataclass(frozen=True)
class StoredBatch:
    """Part or all of one stored batch, ready to hand to a SmartModule.

    ``records`` is a record list whose offset and timestamp deltas are relative to
    ``base_offset`` and ``base_timestamp``. When a read starts or ends inside a
    stored batch, leading or trailing records are cut off, so ``first_offset`` (the
    offset of the first record present) can be above ``base_offset``.
    """

    partition: int
    base_offset: int
    base_timestamp: int
    first_offset: int
    count: int
    records: bytes

    @property
    def next_offset(self) -> int:
        """The offset right after the last record of this batch."""
        return self.first_offset + self.count


@dataclass(frozen=True)
class StoredRecord:
    """One decoded record with its absolute offset and timestamp, for display."""

    partition: int
    offset: int
    timestamp: int
    """Milliseconds since the Unix epoch."""
    key: bytes | None
    value: bytes


SMALL_BATCH_RECORDS = 100
"""Batches below this size are worth merging before an engine call."""


def coalesce_batches(
    batches: Iterable[StoredBatch], max_records: int = BATCH_MAX_RECORDS
) -> Iterator[StoredBatch]:
    """Merge runs of consecutive small batches into one, re-basing their deltas.

    Records typed one at a time are stored one per batch; handing each to a
    SmartModule would cost one engine call per record. Merged records keep their
    absolute offsets and timestamps: deltas are rewritten against the first
    batch's base. Large batches pass through untouched.
    """
    pending: list[StoredBatch] = []
    pending_count = 0
    for batch in batches:
        joinable = batch.count < SMALL_BATCH_RECORDS
        if pending and (
            not joinable
            or pending_count + batch.count > max_records
            or abs(batch.base_timestamp - pending[0].base_timestamp) > _MERGE_SPAN
        ):
            yield _merged(pending)
            pending, pending_count = [], 0
        if not joinable:
            yield batch
            continue
        pending.append(batch)
        pending_count += batch.count
    if pending:
        yield _merged(pending)


def _merged(batches: list[StoredBatch]) -> StoredBatch:
    first = batches[0]
    if len(batches) == 1:
        return first
    encoded: list[bytes] = []
    for batch in batches:
        offset_shift = batch.base_offset - first.base_offset
        time_shift = batch.base_timestamp - first.base_timestamp
        for offset_delta, timestamp_delta, key, value in decode_fields(batch.records):
            encoded.append(
                encode_record(
                    value,
                    key,
                    offset_delta + offset_shift,
                    timestamp_delta + time_shift,
                )
            )
    records = len(encoded).to_bytes(4, "big") + b"".join(encoded)
    return StoredBatch(
        first.partition, first.base_offset, first.base_timestamp,
        first.first_offset, len(encoded), records,
    )  # fmt: skip


def valid_name(name: str) -> bool:
    """True for lowercase letters, digits and inner hyphens, at most 63 characters."""
    return bool(_NAME_PATTERN.match(name))


def name_problem(name: str, what: str) -> str | None:
    """Why ``name`` cannot name a ``what`` (topic, SmartModule), or None if it can.

    One sentence for a person at a form: the rule ``valid_name`` applies, told
    from the first thing this name breaks.
    """
    if not name:
        return f"give the {what} a name"
    if len(name) > NAME_LIMIT:
        limit = f"at most {NAME_LIMIT} characters"
        return f"a {what} name has {limit}; this one has {len(name)}"
    if name != name.lower() and valid_name(name.lower()):
        return f"a {what} name is lowercase: {name.lower()!r} would do"
    wrong = sorted({c for c in name if c not in NAME_CHARACTERS})
    if wrong:
        shown = " ".join(repr(c) for c in wrong)
        return f"a {what} name holds only letters a-z, digits 0-9 and '-', not {shown}"
    if name.startswith("-") or name.endswith("-"):
        return f"a {what} name starts and ends with a letter or digit, not '-'"
    return None if valid_name(name) else f"{name!r} cannot name a {what}"


# One workspace on a laptop; more partitions than this is a typo, not a plan.
MAX_PARTITIONS = 1024


def check_topic_name(name: str) -> None:
    """Raise :class:`UsageError` unless ``name`` can name a topic."""
    if not valid_name(name):
        raise UsageError(
            f"Invalid topic name: {name!r}; use lowercase letters (a-z), numbers "
            "(0-9) and hyphens (-), not at either end, at most 63 characters"
        )


def key_partition(key: bytes, partitions: int) -> int:
    """The partition of a keyed record: a CRC-32 of the key, the same everywhere."""
    return zlib.crc32(key) % partitions


def now_ms() -> int:
    """The current time in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


def database_path(path: str | Path) -> Path:
    """The broker's database file for a workspace directory or a database path."""
    candidate = Path(path)
    if candidate.suffix == ".db" or candidate.is_file():
        return candidate
    return candidate / DATABASE_NAME


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (and create if needed) the workspace database with the broker's settings.

    The connection is in autocommit mode; writers open ``BEGIN IMMEDIATE``
    themselves. It may be used from several threads, one at a time.
    """
    database = database_path(path)
    database.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(
        database,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
    )
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    _set_wal(connection)
    connection.execute("PRAGMA synchronous = NORMAL")
    # Checkpoints are the only fsyncs under synchronous=NORMAL; letting the WAL
    # reach about 40 MB between them makes bulk produce several times cheaper.
    connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
    connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    ensure_tables(connection, _SCHEMA, "batches")
    return connection


def ensure_tables(connection: sqlite3.Connection, schema: str, probe: str) -> None:
    """Run ``schema`` (``;``-separated statements) unless table ``probe`` exists.

    Checking first keeps opening an existing workspace read-only, so a reader
    never waits for a writer's lock just to start.
    """
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (probe,)
    ).fetchone()
    if exists is not None:
        return
    with write_transaction(connection):
        for statement in schema.split(";"):
            if statement.strip():
                connection.execute(statement)


def _set_wal(connection: sqlite3.Connection) -> None:
    # Switching a fresh file to WAL needs a moment alone with it; a second process
    # opening the same new workspace at once waits and retries here.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception (Ctrl-C too)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class Broker:
    """Topics and partitions of one workspace, stored in SQLite.

    One instance may be shared by threads; its methods take a lock around each
    database conversation. Other processes may use the same workspace at once.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        max_record_size: int = DEFAULT_MAX_RECORD_SIZE,
    ) -> None:
        self.connection = connection
        self.max_record_size = max_record_size
        self._lock = threading.RLock()
        self._transaction_depth = 0

    @classmethod
    def open(
        cls, path: str | Path, max_record_size: int = DEFAULT_MAX_RECORD_SIZE
    ) -> Broker:
        """Open the broker of a workspace directory (or a ``.db`` file).

        Args:
            path: The workspace directory, created if missing, or the database file.
            max_record_size: Largest record (key plus value) ``produce`` accepts.
        """
        try:
            connection = connect(path)
        except (sqlite3.DatabaseError, OSError) as error:
            # A workspace that is a plain file, unwritable or not SQLite is the
            # user's to fix: say which path and why instead of a traceback.
            reason = getattr(error, "strerror", None) or str(error)
            raise UsageError(f"cannot open workspace {path}: {reason}") from None
        return cls(connection, max_record_size)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self.connection.close()

    def __enter__(self) -> Broker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes (topics, records, registry rows) into one commit.

        Writes made inside it join this transaction instead of opening their own;
        an exception rolls all of them back.
        """
        with self._lock:
            if self._transaction_depth:
                self._transaction_depth += 1
                try:
                    yield
                finally:
                    self._transaction_depth -= 1
                return
            with write_transaction(self.connection):
                self._transaction_depth = 1
                try:
                    yield
                finally:
                    self._transaction_depth = 0

    # --- topics -----------------------------------------------------------------

    def create_topic(self, name: str, partitions: int = 1) -> TopicInfo:
        """Create an empty topic.

        Raises:
            UsageError: The name is invalid or ``partitions`` is below 1.
            TopicExistsError: A topic of that name exists (``Topic already exists``).
        """
        check_topic_name(name)
        if not 1 <= partitions <= MAX_PARTITIONS:
            raise UsageError(
                f"partitions must be between 1 and {MAX_PARTITIONS}, not {partitions}"
            )
        with self.transaction():
            self._insert_topic(name, partitions)
        return TopicInfo(name, partitions, 0, 0)

    def _insert_topic(self, name: str, partitions: int) -> int:
        try:
            cursor = self.connection.execute(
                "INSERT INTO topics (name, partitions, created_ms) VALUES (?, ?, ?)",
                (name, partitions, now_ms()),
            )
        except sqlite3.IntegrityError:
            raise TopicExistsError("Topic already exists") from None
        topic_id = cursor.lastrowid
        assert topic_id is not None
        self.connection.executemany(
            "INSERT INTO partitions (topic_id, partition) VALUES (?, ?)",
            [(topic_id, number) for number in range(partitions)],
        )
        return topic_id

    def delete_topic(self, name: str) -> None:
        """Delete a topic and all its records.

        Raises:
            NotFoundError: There is no such topic.
        """
        with self.transaction():
            topic_id, _ = self._topic_row(name)
            self.connection.execute(
                "DELETE FROM batches WHERE partition_id IN "
                "(SELECT id FROM partitions WHERE topic_id = ?)",
                (topic_id,),
            )
            self.connection.execute(
                "DELETE FROM partitions WHERE topic_id = ?", (topic_id,)
            )
            self.connection.execute("DELETE FROM topics WHERE id = ?", (topic_id,))

    def topic_exists(self, name: str) -> bool:
        """True when a topic of this name exists."""
        with self._lock:
            row = self.connection.execute(
                "SELECT 1 FROM topics WHERE name = ?", (name,)
            ).fetchone()
        return row is not None

    def topic_identity(self, name: str) -> tuple[int, int]:
        """What tells this topic from one deleted and created again under its name.

        Raises:
            NotFoundError: There is no such topic.
        """
        with self._lock:
            row = self.connection.execute(
                "SELECT id, created_ms FROM topics WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f'Topic "{name}" not found')
        return row[0], row[1]

    def list_topics(self) -> list[TopicInfo]:
        """Every topic, by name, with its partition count, records and size."""
        with self._lock:
            rows = self.connection.execute(
                "SELECT t.name, t.partitions, "
                "COALESCE(SUM(p.hw - p.base), 0), COALESCE(SUM(p.size), 0) "
                "FROM topics t LEFT JOIN partitions p ON p.topic_id = t.id "
                "GROUP BY t.id ORDER BY t.name"
            ).fetchall()
        return [TopicInfo(*row) for row in rows]

    def topic(self, name: str) -> TopicInfo:
        """One topic's summary.

        Raises:
            NotFoundError: There is no such topic.
        """
        for info in self.list_topics():
            if info.name == name:
                return info
        raise NotFoundError(f'Topic "{name}" not found')

    def partitions(self, topic: str | None = None) -> list[PartitionInfo]:
        """The partitions of one topic, or of every topic when ``topic`` is None.

        Raises:
            NotFoundError: ``topic`` names no topic.
        """
        query = (
            "SELECT t.name, p.partition, p.base, p.hw, p.size FROM partitions p "
            "JOIN topics t ON t.id = p.topic_id"
        )
        with self._lock:
            if topic is None:
                rows = self.connection.execute(
                    query + " ORDER BY t.name, p.partition"
                ).fetchall()
            else:
                self._topic_row(topic)
                rows = self.connection.execute(
                    query + " WHERE t.name = ? ORDER BY p.partition", (topic,)
                ).fetchall()
        return [PartitionInfo(*row) for row in rows]

    def partition_count(self, topic: str) -> int:
        """How many partitions ``topic`` has (raises :class:`NotFoundError`)."""
        with self._lock:
            return self._topic_row(topic)[1]

    def high_watermark(self, topic: str, partition: int) -> int:
        """The offset the next record of this partition will get."""
        with self._lock:
            return self._partition_row(topic, partition)[2]

    def change_token(self) -> int:
        """A number that changes whenever another connection commits a write.

        Pollers (a consumer waiting for records, a TUI following a topic) compare
        it between polls and query again only when it moved.
        """
        with self._lock:
            row = self.connection.execute("PRAGMA data_version").fetchone()
        token: int = row[0]
        return token

    def _topic_row(self, name: str) -> tuple[int, int]:
        row = self.connection.execute(
            "SELECT id, partitions FROM topics WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            # A name no topic could have is a typo to point out, not a miss.
            check_topic_name(name)
            raise NotFoundError(f'Topic "{name}" not found')
        return row[0], row[1]

    def _partition_row(self, topic: str, partition: int) -> tuple[int, int, int]:
        topic_id, count = self._topic_row(topic)
        if not 0 <= partition < count:
            raise NotFoundError(
                f'Partition {partition} not found: topic "{topic}" has '
                f"{count} partition{'s' if count != 1 else ''}"
            )
        row = self.connection.execute(
            "SELECT id, base, hw FROM partitions WHERE topic_id = ? AND partition = ?",
            (topic_id, partition),
        ).fetchone()
        return row[0], row[1], row[2]

    # --- writing -----------------------------------------------------------------

    def produce(
        self,
        topic: str,
        values: Sequence[bytes],
        keys: Sequence[bytes | None] | None = None,
        timestamps: Sequence[int] | int | None = None,
        partition: int | None = None,
    ) -> dict[int, range]:
        """Append records to a topic in one transaction and return their offsets.

        Records with a key go to the partition their key hashes to; records without
        one go round-robin, continuing where the last producer stopped. ``partition``
        sends every record to that partition instead.

        Args:
            topic: The topic name.
            values: Record values.
            keys: One key or None per value; None for no keys at all.
            timestamps: One timestamp (ms since the epoch) per value, one for all,
                or None for now.
            partition: A fixed partition, or None to route each record.

        Returns:
            For each partition written, the range of offsets its records received,
            in input order.

        Raises:
            NotFoundError: The topic or partition does not exist.
            RecordTooLargeError: A record exceeds ``max_record_size``; the records
                before it are stored, it and the rest are not.
        """
        oversized = self._first_oversized(values, keys)
        count = len(values) if oversized is None else oversized
        stamps = self._timestamps(timestamps, count)
        with self.transaction():
            written = self._route_and_store(
                topic, values[:count], keys, stamps, partition
            )
        if oversized is not None:
            raise self._too_large(values, keys, oversized)
        return written

    def _first_oversized(
        self, values: Sequence[bytes], keys: Sequence[bytes | None] | None
    ) -> int | None:
        limit = self.max_record_size
        for index, value in enumerate(values):
            size = len(value)
            if keys is not None and keys[index] is not None:
                size += len(keys[index] or b"")
            if size > limit:
                return index
        return None

    def _too_large(
        self, values: Sequence[bytes], keys: Sequence[bytes | None] | None, index: int
    ) -> RecordTooLargeError:
        key = keys[index] if keys is not None else None
        size = len(values[index]) + len(key or b"")
        return RecordTooLargeError(
            f"record of {size} bytes exceeds the maximum record size of "
            f"{self.max_record_size} bytes",
            index=index,
            size=size,
            limit=self.max_record_size,
        )

    @staticmethod
    def _timestamps(timestamps: Sequence[int] | int | None, count: int) -> list[int]:
        if timestamps is None:
            return [now_ms()] * count
        if isinstance(timestamps, int):
            return [timestamps] * count
        if len(timestamps) < count:
            raise ValueError("fewer timestamps than values")
        return list(timestamps[:count])

    def _route_and_store(
        self,
        topic: str,
        values: Sequence[bytes],
        keys: Sequence[bytes | None] | None,
        stamps: list[int],
        partition: int | None,
    ) -> dict[int, range]:
        topic_id, partition_count = self._topic_row(topic)
        if partition is not None:
            self._partition_row(topic, partition)
            routes = {partition: list(range(len(values)))}
        else:
            routes = self._route(topic_id, partition_count, len(values), keys)

        written: dict[int, range] = {}
        for number, indexes in sorted(routes.items()):
            if len(indexes) == len(values):
                part_values, part_keys, part_stamps = values, keys, stamps
            else:
                part_values = [values[i] for i in indexes]
                part_keys = [keys[i] for i in indexes] if keys is not None else None
                part_stamps = [stamps[i] for i in indexes]
            written[number] = self._append(
                topic_id, number, part_values, part_keys, part_stamps
            )
        return written

    def _route(
        self,
        topic_id: int,
        partition_count: int,
        count: int,
        keys: Sequence[bytes | None] | None,
    ) -> dict[int, list[int]]:
        if partition_count == 1:
            return {0: list(range(count))}
        start = self.connection.execute(
            "SELECT next_round_robin FROM topics WHERE id = ?", (topic_id,)
        ).fetchone()[0]
        routes: dict[int, list[int]] = {}
        turn = start
        for index in range(count):
            key = keys[index] if keys is not None else None
            if key is None:
                number = turn % partition_count
                turn += 1
            else:
                number = key_partition(key, partition_count)
            routes.setdefault(number, []).append(index)
        self.connection.execute(
            "UPDATE topics SET next_round_robin = ? WHERE id = ?",
            (turn % partition_count, topic_id),
        )
        return routes

    def _append(
        self,
        topic_id: int,
        partition: int,
        values: Sequence[bytes],
        keys: Sequence[bytes | None] | None,
        stamps: Sequence[int],
    ) -> range:
        row = self.connection.execute(
            "SELECT id, hw FROM partitions WHERE topic_id = ? AND partition = ?",
            (topic_id, partition),
        ).fetchone()
        partition_id, first_offset = row
        offset = first_offset
        added_bytes = 0
        rows = []
        for start, stop in _batch_bounds(values, stamps):
            base_timestamp = stamps[start]
            chunk_keys = keys[start:stop] if keys is not None else None
            chunk_stamps = stamps[start:stop]
            if chunk_stamps.count(base_timestamp) != len(chunk_stamps):
                deltas: list[int] | None = [
                    stamp - base_timestamp for stamp in chunk_stamps
                ]
            else:
                deltas = None
            records = encode_batch(values[start:stop], chunk_keys, deltas)
            size = len(records)
            rows.append(
                (partition_id, offset, base_timestamp, stop - start, size, records)
            )
            offset += stop - start
            added_bytes += len(records)
        self.connection.executemany(
            "INSERT INTO batches (partition_id, base_offset, base_timestamp, count, "
            "size, records) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.connection.execute(
            "UPDATE partitions SET hw = ?, size = size + ? WHERE id = ?",
            (offset, added_bytes, partition_id),
        )
        return range(first_offset, offset)

    # --- reading -----------------------------------------------------------------

    def read_batches(
        self,
        topic: str,
        partition: int,
        start_offset: int = 0,
        end_offset: int | None = None,
        page_size: int = 16,
    ) -> Iterator[StoredBatch]:
        """Yield the stored batches covering ``start_offset`` up to ``end_offset``.

        Batches are trimmed to that range (see :class:`StoredBatch`), so the records
        yielded are exactly offsets ``start_offset`` … ``end_offset - 1`` that exist.
        Batches are fetched a page at a time, so memory does not grow with the
        topic, and records written while iterating are included.

        Args:
            topic: The topic name.
            partition: The partition number.
            start_offset: First offset wanted.
            end_offset: Offset to stop before (exclusive); None reads to the end.
            page_size: Batches fetched per query.
        """
        with self._lock:
            partition_id = self._partition_row(topic, partition)[0]
            first = self.connection.execute(
                "SELECT base_offset FROM batches WHERE partition_id = ? "
                "AND base_offset <= ? ORDER BY base_offset DESC LIMIT 1",
                (partition_id, max(start_offset, 0)),
            ).fetchone()
        cursor_offset = first[0] if first is not None else 0
        while end_offset is None or cursor_offset < end_offset:
            # Bounded by end_offset too, so a page for display fetches only the
            # batches it shows.
            limit = end_offset if end_offset is not None else 1 << 62
            with self._lock:
                rows = self.connection.execute(
                    "SELECT base_offset, base_timestamp, count, records FROM batches "
                    "WHERE partition_id = ? AND base_offset >= ? AND base_offset < ? "
                    "ORDER BY base_offset LIMIT ?",
                    (partition_id, cursor_offset, limit, page_size),
                ).fetchall()
            if not rows:
                return
            for base_offset, base_timestamp, count, records in rows:
                batch = _trimmed(
                    partition, base_offset, base_timestamp, count, records,
                    start_offset, end_offset,
                )  # fmt: skip
                if batch is not None:
                    yield batch
                cursor_offset = base_offset + count
                if end_offset is not None and cursor_offset >= end_offset:
                    return

    def read_records(
        self, topic: str, partition: int, start: int, count: int
    ) -> list[StoredRecord]:
        """Decode up to ``count`` records from offset ``start`` on, for display.

        One indexed lookup finds the batch holding ``start``, so reading a page
        deep inside a large topic costs the same as reading its first page.
        """
        records: list[StoredRecord] = []
        if count <= 0:
            return records
        for batch in self.read_batches(topic, partition, start, start + count):
            for offset_delta, timestamp_delta, key, value in iter_fields(batch.records):
                records.append(
                    StoredRecord(
                        partition,
                        batch.base_offset + offset_delta,
                        batch.base_timestamp + timestamp_delta,
                        key,
                        value,
                    )
                )
        return records

    def history(
        self,
        topic: str,
        partition: int,
        last: int = 0,
        age_seconds: float | None = None,
        now: int | None = None,
    ) -> bytes | None:
        """Records a ``look_back`` step sees, as one record list; None when empty.

        The last ``last`` records up to the high watermark and/or those younger
        than ``age_seconds`` (at most ``last`` of them when both are given).
        Records keep the deltas of their own stored batch, as Fluvio hands them
        over (with base offset and base timestamp 0).
        """
        self.high_watermark(topic, partition)  # unknown topic or partition fails
        info = self.partitions(topic)[partition]
        if info.hw == info.base:
            return None
        start = max(info.base, info.hw - last) if last > 0 else info.base
        cutoff = None
        if age_seconds is not None:
            cutoff = (now_ms() if now is None else now) - int(age_seconds * 1000)

        parts: list[bytes] = []
        count = 0
        for batch in self.read_batches(topic, partition, start, info.hw):
            if cutoff is None:
                parts.append(batch.records[4:])
                count += batch.count
                continue
            spans = record_spans(batch.records)
            for index, fields in enumerate(decode_fields(batch.records)):
                if batch.base_timestamp + fields[1] >= cutoff:
                    parts.append(batch.records[spans[index] : spans[index + 1]])
                    count += 1
        return count.to_bytes(4, "big") + b"".join(parts)


def _trimmed(
    partition: int,
    base_offset: int,
    base_timestamp: int,
    count: int,
    records: bytes,
    start_offset: int,
    end_offset: int | None,
) -> StoredBatch | None:
    skip = max(start_offset - base_offset, 0)
    stop = count if end_offset is None else min(count, end_offset - base_offset)
    if stop <= skip:
        return None
    if skip or stop < count:
        records = slice_batch(records, skip, stop - skip)
    return StoredBatch(
        partition, base_offset, base_timestamp, base_offset + skip, stop - skip,
        records,
    )  # fmt: skip


def _batch_bounds(
    values: Sequence[bytes], stamps: Sequence[int]
) -> Iterator[tuple[int, int]]:
    # Cut batches by record count, by bytes, and where a timestamp strays outside
    # the i32 delta range of the batch's first record. When every record has the
    # same timestamp (plain produce), only counts and sizes matter, and a stride
    # of small records is checked with one sum instead of a loop.
    if stamps and stamps.count(stamps[0]) == len(stamps):
        yield from _uniform_bounds(values)
        return
    start = 0
    size = 0
    base = stamps[0] if stamps else 0
    for index, value in enumerate(values):
        delta = stamps[index] - base
        full = index - start >= BATCH_MAX_RECORDS or size >= BATCH_MAX_BYTES
        if index > start and (full or not _DELTA_MIN <= delta <= _DELTA_MAX):
            yield start, index
            start, size, base = index, 0, stamps[index]
        size += len(value) + 8
    if start < len(values):
        yield start, len(values)


def _uniform_bounds(values: Sequence[bytes]) -> Iterator[tuple[int, int]]:
    start = 0
    total = len(values)
    while start < total:
        stop = min(start + BATCH_MAX_RECORDS, total)
        stride = values[start:stop]
        if sum(map(len, stride)) + 8 * len(stride) <= BATCH_MAX_BYTES:
            yield start, stop
            start = stop
            continue
        size = 0
        index = start
        while index < stop and (index == start or size < BATCH_MAX_BYTES):
            size += len(values[index]) + 8
            index += 1
        yield start, index
        start = index
