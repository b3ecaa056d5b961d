"""`topic` and `partition` commands through the real `smartbench` process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import REPO_ROOT, RunSmartbench
from workbench.engine.broker import Broker


def _out(result: object) -> str:
    stdout: bytes = getattr(result, "stdout")  # noqa: B009
    return stdout.decode()


def test_topic_create_list_delete(run_smartbench: RunSmartbench) -> None:
    created = run_smartbench("topic", "create", "orders", "-p", "2")
    duplicate = run_smartbench("topic", "create", "orders")
    listed = run_smartbench("topic", "list")
    deleted = run_smartbench("topic", "delete", "orders")
    empty = run_smartbench("topic", "list")

    assert created.returncode == 0
    assert _out(created) == 'topic "orders" created\n'
    assert duplicate.returncode == 1
    assert duplicate.stderr.decode().strip() == "Topic already exists"
    header, row = _out(listed).splitlines()
    assert header.split() == ["NAME", "PARTITIONS", "RECORDS", "SIZE"]
    assert row.split() == ["orders", "2", "0", "0", "B"]
    assert deleted.returncode == 0
    assert _out(empty).strip() == "No topics found"


def test_invalid_names_are_usage_errors(run_smartbench: RunSmartbench) -> None:
    for name in ("../x", "UPPER", "a_b"):
        result = run_smartbench("topic", "create", name)

        assert result.returncode == 2
        assert "Invalid topic name" in result.stderr.decode()
        assert len(result.stderr.decode().strip().splitlines()) == 1


def test_delete_unknown_topic(run_smartbench: RunSmartbench) -> None:
    result = run_smartbench("topic", "delete", "ghost")

    assert result.returncode == 1
    assert result.stderr.decode().strip() == 'Topic "ghost" not found'


def test_partition_list_columns(run_smartbench: RunSmartbench) -> None:
    run_smartbench("topic", "create", "events", "-p", "2")
    run_smartbench("produce", "events", input="a\nb\nc\n")

    result = run_smartbench("partition", "list", "events")

    lines = [line.split() for line in _out(result).splitlines()]
    assert lines[0] == ["TOPIC", "PARTITION", "BASE", "HW", "SIZE"]
    assert [line[:4] for line in lines[1:]] == [
        ["events", "0", "0", "2"],
        ["events", "1", "0", "1"],
    ]


def test_workspace_flag_beats_smartbench_home(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"

    run_smartbench("topic", "create", "here", "--workspace", other)
    run_smartbench("--workspace", other, "topic", "create", "there")

    assert {t.name for t in Broker.open(other).list_topics()} == {"here", "there"}
    assert _out(run_smartbench("topic", "list")).strip() == "No topics found"


def _write_manifest(folder: Path) -> Path:
    data = folder / "data"
    data.mkdir(parents=True)
    (data / "quakes.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "metadata": {"generated": 1517968154000},
                "features": [
                    {"id": "q1", "properties": {"time": 1000, "place": "Köln"}},
                    {"id": "q2", "properties": {"time": 2000, "place": "b"}},
                ],
            },
            indent=2,
        )
    )
    (data / "weather.csv").write_text("date,temp\n2012-01-01,12.8\n2012-01-02,10.6\n")
    (data / "flights.json").write_text(
        '[{"date":"2001/01/01 06:55","origin":"LAX"},'
        '{"date":"2001/01/01 08:47","origin":"SJC"}]'
    )
    (folder / "topics.toml").write_text(
        """
[[topic]]
name = "raw"
file = "data/quakes.geojson"
split = "whole"
key = ""
timestamp = "metadata.generated"
timestamp_format = "epoch-ms"

[[topic]]
name = "quakes"
file = "data/quakes.geojson"
split = "geojson-features"
key = "id"
timestamp = "properties.time"
timestamp_format = "epoch-ms"

[[topic]]
name = "weather"
file = "data/weather.csv"
split = "csv-rows"
key = ""
timestamp = "date"
timestamp_format = "date"

[[topic]]
name = "flights"
file = "data/flights.json"
split = "json-array"
key = "origin"
timestamp = "date"
timestamp_format = "datetime"
"""
    )
    return folder


def test_topic_load_reads_a_manifest(
    run_smartbench: RunSmartbench, workspace: Path, tmp_path: Path
) -> None:
    folder = _write_manifest(tmp_path / "manifest")

    result = run_smartbench("topic", "load", folder)
    again = run_smartbench("topic", "load", folder)

    assert result.returncode == 0, result.stderr
    assert 'topic "quakes" created with 2 records' in _out(result)
    broker = Broker.open(workspace)
    raw = broker.read_records("raw", 0, 0, 5)
    assert raw[0].value == (folder / "data/quakes.geojson").read_bytes()
    assert raw[0].timestamp == 1517968154000 and raw[0].key is None
    quakes = broker.read_records("quakes", 0, 0, 5)
    assert [(r.key, r.timestamp) for r in quakes] == [(b"q1", 1000), (b"q2", 2000)]
    assert (
        quakes[0].value.decode()
        == '{"id":"q1","properties":{"time":1000,"place":"Köln"}}'
    )
    weather = broker.read_records("weather", 0, 0, 5)
    assert [r.value for r in weather] == [b"2012-01-01,12.8", b"2012-01-02,10.6"]
    assert weather[1].timestamp == 1325462400000
    flights = broker.read_records("flights", 0, 0, 5)
    assert flights[0].timestamp == 978332100000 and flights[0].key == b"LAX"
    assert again.returncode == 0
    assert 'topic "quakes" already exists' in again.stderr.decode()
    assert broker.topic("quakes").records == 2


def test_topic_load_reports_a_bad_manifest(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    (tmp_path / "topics.toml").write_text(
        '[[topic]]\nname = "x"\nfile = "missing.json"\n'
    )

    missing_dir = run_smartbench("topic", "load", tmp_path / "nowhere")
    missing_file = run_smartbench("topic", "load", tmp_path)

    assert missing_dir.returncode == 2
    assert "no such manifest" in missing_dir.stderr.decode()
    assert missing_file.returncode == 2
    assert "missing.json: cannot read" in missing_file.stderr.decode()


def test_topic_load_registers_modules_and_reports_bad_ones(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    folder = tmp_path / "with-modules"
    folder.mkdir()
    (folder / "double.wasm").write_bytes(
        (REPO_ROOT / "sample_modules" / "tpl-map.wasm").read_bytes()
    )
    (folder / "broken.wasm").write_bytes(b"")
    (folder / "topics.toml").write_text(
        '[[module]]\nname = "double"\nfile = "double.wasm"\n'
        'description = "doubles"\n\n'
        '[[module]]\nname = "broken"\nfile = "broken.wasm"\n'
    )

    result = run_smartbench("topic", "load", folder)
    described = run_smartbench("sm", "describe", "double")

    assert result.returncode == 1
    assert result.stdout.decode() == 'smartmodule "double" has been created.\n'
    assert 'smartmodule "broken" not registered' in result.stderr.decode()
    assert "description: doubles" in described.stdout.decode()
