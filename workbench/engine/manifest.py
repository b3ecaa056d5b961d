"""Topics and modules described by a ``topics.toml`` manifest.

A manifest lists topics to fill from data files and SmartModules to register::

    [[topic]]
    name = "earthquakes"
    file = "data/usgs-earthquakes-week.geojson"   # relative to the manifest
    split = "geojson-features"    # whole | geojson-features | csv-rows | json-array
    key = "id"                    # dotted field path ("" = no key)
    timestamp = "properties.time" # dotted path (JSON) or column (CSV)
    timestamp_format = "epoch-ms" # epoch-ms | date | datetime

    [[module]]
    name = "quake-filter"
    file = "../sample_modules/quake-filter.wasm"
    description = "…"

Record timestamps come from the data, so a topic loaded twice looks the same. JSON
records are stored compact (no spaces, non-ASCII kept); a ``whole`` file and CSV
rows are stored byte for byte.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.errors import UsageError

MANIFEST_NAME = "topics.toml"
SPLITS = ("whole", "geojson-features", "csv-rows", "json-array")
TIMESTAMP_FORMATS = ("epoch-ms", "date", "datetime")


@dataclass(frozen=True)
class TopicSpec:
    """One ``[[topic]]`` entry."""

    name: str
    file: Path
    split: str
    key: str = ""
    timestamp: str = ""
    timestamp_format: str = "epoch-ms"


@dataclass(frozen=True)
class ModuleSpec:
    """One ``[[module]]`` entry."""

    name: str
    file: Path
    description: str = ""


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest with paths resolved against its folder."""

    path: Path
    topics: tuple[TopicSpec, ...] = ()
    modules: tuple[ModuleSpec, ...] = ()


@dataclass
class TopicRecords:
    """The records a topic spec yields, ready for :meth:`Broker.produce`."""

    values: list[bytes] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)


def compact_json(document: Any) -> bytes:
    """JSON without spaces, non-ASCII characters kept, as UTF-8."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def read_manifest(location: str | Path) -> Manifest:
    """Parse ``location/topics.toml`` (or the manifest file itself).

    Raises:
        UsageError: The manifest is missing, not TOML, or has a bad entry; the
            message names the file and the entry.
    """
    path = Path(location)
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such manifest") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path}: cannot read manifest: {error}") from None

    folder = path.parent
    topics = tuple(
        _topic_spec(path, folder, entry) for entry in _entries(path, document, "topic")
    )
    modules = tuple(
        _module_spec(path, folder, entry)
        for entry in _entries(path, document, "module")
    )
    return Manifest(path, topics, modules)


def _entries(path: Path, document: dict[str, Any], table: str) -> list[dict[str, Any]]:
    entries = document.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError(f"{path}: [[{table}]] must be a list of tables")
    return entries


def _text(path: Path, entry: dict[str, Any], key: str, default: str | None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str):
        where = entry.get("name", "?")
        raise UsageError(f"{path}: entry {where!r}: {key} must be a string")
    return value


def _topic_spec(path: Path, folder: Path, entry: dict[str, Any]) -> TopicSpec:
    spec = TopicSpec(
        name=_text(path, entry, "name", None),
        file=folder / _text(path, entry, "file", None),
        split=_text(path, entry, "split", "whole"),
        key=_text(path, entry, "key", ""),
        timestamp=_text(path, entry, "timestamp", ""),
        timestamp_format=_text(path, entry, "timestamp_format", "epoch-ms"),
    )
    if spec.split not in SPLITS:
        raise UsageError(
            f"{path}: topic {spec.name!r}: split {spec.split!r} is not one of "
            + ", ".join(SPLITS)
        )
    if spec.timestamp_format not in TIMESTAMP_FORMATS:
        raise UsageError(
            f"{path}: topic {spec.name!r}: timestamp_format "
            f"{spec.timestamp_format!r} is not one of " + ", ".join(TIMESTAMP_FORMATS)
        )
    return spec


def _module_spec(path: Path, folder: Path, entry: dict[str, Any]) -> ModuleSpec:
    return ModuleSpec(
        name=_text(path, entry, "name", None),
        file=folder / _text(path, entry, "file", None),
        description=_text(path, entry, "description", ""),
    )


def topic_records(spec: TopicSpec, default_timestamp: int) -> TopicRecords:
    """Split a spec's data file into records with keys and timestamps.

    Raises:
        UsageError: The file is missing or does not parse as the split expects.
    """
    try:
        data = spec.file.read_bytes()
    except OSError as error:
        raise UsageError(f"{spec.file}: cannot read: {error.strerror}") from None

    stamp = _timestamp_parser(spec.timestamp_format)
    try:
        if spec.split == "csv-rows":
            return _csv_records(spec, data, stamp, default_timestamp)
        return _json_records(spec, data, stamp, default_timestamp)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(
            f"{spec.file}: cannot split for topic {spec.name!r}: {error}"
        ) from None


def _json_records(
    spec: TopicSpec,
    data: bytes,
    stamp: Callable[[Any], int],
    default_timestamp: int,
) -> TopicRecords:
    document = json.loads(data)
    records = TopicRecords()
    if spec.split == "whole":
        items = [document]
    elif spec.split == "geojson-features":
        items = document["features"]
    else:
        items = document
    if not isinstance(items, list):
        raise ValueError(f"expected a JSON array for split {spec.split!r}")

    for item in items:
        records.values.append(data if spec.split == "whole" else compact_json(item))
        records.keys.append(_key_bytes(_dotted(item, spec.key)) if spec.key else None)
        when = _dotted(item, spec.timestamp) if spec.timestamp else None
        records.timestamps.append(default_timestamp if when is None else stamp(when))
    return records


def _csv_records(
    spec: TopicSpec,
    data: bytes,
    stamp: Callable[[Any], int],
    default_timestamp: int,
) -> TopicRecords:
    lines = data.splitlines()
    header = next(csv.reader([lines[0].decode("utf-8")])) if lines else []
    records = TopicRecords()
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(header, next(csv.reader([line.decode("utf-8")])), strict=False))
        records.values.append(line)
        records.keys.append(row[spec.key].encode() if spec.key else None)
        records.timestamps.append(
            stamp(row[spec.timestamp]) if spec.timestamp else default_timestamp
        )
    return records


def _dotted(document: Any, path: str) -> Any:
    value = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _key_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()
    return compact_json(value)


def _timestamp_parser(timestamp_format: str) -> Callable[[Any], int]:
    def epoch_ms(value: Any) -> int:
        return int(value)

    def date(value: Any) -> int:
        moment = datetime.strptime(str(value), "%Y-%m-%d").replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)

    def date_time(value: Any) -> int:
        moment = datetime.strptime(str(value), "%Y/%m/%d %H:%M").replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)

    parsers = {"epoch-ms": epoch_ms, "date": date, "datetime": date_time}
    return parsers[timestamp_format]
