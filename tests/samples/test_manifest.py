"""The sample topics manifest and the bundled data it points at."""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / "sample_topics" / "topics.toml"
SPLITS = {"whole", "geojson-features", "csv-rows", "json-array"}
TIMESTAMP_FORMATS = {"epoch-ms", "date", "datetime"}


def _manifest() -> dict[str, Any]:
    with MANIFEST.open("rb") as handle:
        return tomllib.load(handle)


def test_topics_are_the_four_samples_with_valid_settings() -> None:
    topics = {topic["name"]: topic for topic in _manifest()["topic"]}

    assert set(topics) == {
        "earthquakes-raw",
        "earthquakes",
        "seattle-weather",
        "flights",
    }
    for topic in topics.values():
        assert (MANIFEST.parent / topic["file"]).is_file()
        assert topic["split"] in SPLITS
        assert topic["timestamp_format"] in TIMESTAMP_FORMATS
        assert isinstance(topic["key"], str)
        assert topic["timestamp"]
    assert topics["earthquakes"]["key"] == "id"
    assert topics["flights"]["split"] == "json-array"


def test_every_sample_module_is_registered_once_with_a_description() -> None:
    modules = _manifest()["module"]
    names = [module["name"] for module in modules]
    committed = {path.stem for path in (REPO_ROOT / "sample_modules").glob("*.wasm")}

    assert len(names) == len(set(names))
    assert set(names) == committed
    for module in modules:
        path = (MANIFEST.parent / module["file"]).resolve()
        assert path.is_file() and path.stem == module["name"]
        assert module["description"].strip()


def test_bundled_data_has_the_documented_record_counts() -> None:
    data = MANIFEST.parent / "data"
    quakes = json.loads((data / "usgs-earthquakes-week.geojson").read_bytes())
    with (data / "noaa-seattle-weather.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    flights = json.loads((data / "bts-flights-2k.json").read_bytes())

    assert len(quakes["features"]) == quakes["metadata"]["count"] == 1707
    assert rows[0][2] == "temp_max" and len(rows) == 1 + 1461
    assert len(flights) == 2000
