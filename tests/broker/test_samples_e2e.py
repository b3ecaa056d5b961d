"""The commands end to end on the sample topics a new workspace starts with."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import REPO_ROOT, RunSmartbench

DATA = REPO_ROOT / "sample_topics" / "data"
WITH_SAMPLES = {"SMARTBENCH_NO_SAMPLES": ""}


def test_sample_topics_through_the_sample_modules(
    run_smartbench: RunSmartbench,
) -> None:
    features = json.loads((DATA / "usgs-earthquakes-week.geojson").read_bytes())[
        "features"
    ]
    strong = [
        f"{index} {feature['id']}"
        for index, feature in enumerate(features)
        if feature["properties"]["mag"] is not None
        and feature["properties"]["mag"] >= 6
    ]
    with (DATA / "noaa-seattle-weather.csv").open() as source:
        hottest = max(float(row["temp_max"]) for row in csv.DictReader(source))

    def run(*args: str) -> list[str]:
        result = run_smartbench(*args, env=WITH_SAMPLES)
        assert result.returncode == 0, result.stderr
        return result.stdout.decode().splitlines()

    topics = run("topic", "list")
    filtered = run(
        "consume", "earthquakes", "-B", "-d", "--sm", "quake-filter",
        "-e", "min_mag=6", "-F", "{{offset}} {{key}}",
    )  # fmt: skip
    split = run("consume", "earthquakes-raw", "-B", "-d", "--sm", "quake-split", "-k")
    maximum = run("consume", "seattle-weather", "-B", "-d", "--sm", "max-temp")
    late = run("consume", "flights", "-T", "100", "-d", "--filter-map", "late-flights")

    assert [line.split()[:3] for line in topics[1:]] == [
        ["earthquakes", "1", "1707"],
        ["earthquakes-raw", "1", "1"],
        ["flights", "1", "2000"],
        ["seattle-weather", "1", "1461"],
    ]
    assert filtered == strong and filtered
    assert len(split) == 1707
    assert split[0].startswith(f"[{features[0]['id']}] {{")
    assert float(maximum[-1]) == hottest
    assert late and all("→" in line and "+" in line for line in late)


def test_workspace_created_by_the_first_command_only_once(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    first = run_smartbench("sm", "list", env=WITH_SAMPLES)
    run_smartbench("topic", "delete", "flights", env=WITH_SAMPLES)
    again = run_smartbench("topic", "list", env=WITH_SAMPLES)

    assert "quake-filter" in first.stdout.decode()
    assert "flights" not in again.stdout.decode()
    assert (workspace / "smartbench.db").is_file()
