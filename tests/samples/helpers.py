"""Run the bundled sample modules through the real engine, and the bundled data."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from workbench.engine.chain import Chain, StepConfig
from workbench.engine.module import load_module
from workbench.engine.records import Record, decode_records, encode_values
from workbench.engine.types import ProcessResult

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = REPO_ROOT / "sample_modules"
DATA = REPO_ROOT / "sample_topics" / "data"

QUAKES_FILE = DATA / "usgs-earthquakes-week.geojson"
WEATHER_FILE = DATA / "noaa-seattle-weather.csv"
FLIGHTS_FILE = DATA / "bts-flights-2k.json"

ABI_VERSIONS = (22, 25)


@dataclass(frozen=True)
class Step:
    """A sample module by name, with its init params and initial accumulator."""

    name: str
    params: dict[str, str] = field(default_factory=dict)
    initial: bytes = b""


def build_chain(steps: Sequence[Step | str], abi_version: int) -> Chain:
    configs = []
    for step in steps:
        spec = Step(step) if isinstance(step, str) else step
        module = load_module(MODULES / f"{spec.name}.wasm")
        configs.append(StepConfig(module, params=spec.params, initial=spec.initial))
    return Chain.build(configs, abi_version=abi_version)


def run(
    steps: Sequence[Step | str],
    values: Sequence[bytes],
    abi_version: int,
    *,
    keys: Sequence[bytes | None] | None = None,
    base_offset: int = 0,
) -> ProcessResult:
    """One batch through a fresh chain of sample modules."""
    with build_chain(steps, abi_version) as chain:
        return chain.process(
            encode_values(values, keys), base_offset, base_timestamp=1_700_000_000_000
        )


def records(result: ProcessResult) -> list[Record]:
    return decode_records(result.output)


def values(result: ProcessResult) -> list[bytes]:
    return [record.value for record in records(result)]


def features() -> list[dict[str, Any]]:
    document = json.loads(QUAKES_FILE.read_bytes())
    found: list[dict[str, Any]] = document["features"]
    return found


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def quake_line(feature: dict[str, Any]) -> str:
    """What quake-line should print: magnitude rounded half up to one decimal."""
    properties = feature["properties"]
    magnitude = properties["mag"]
    if magnitude is None:
        shown = "?"
    else:
        shown = str(Decimal(str(magnitude)).quantize(Decimal("0.1"), ROUND_HALF_UP))
        shown = "0.0" if shown == "-0.0" else shown
    return f"M{shown} — {properties['place']}"


def weather_rows() -> list[bytes]:
    """The CSV rows without the header, as loaded into the seattle-weather topic."""
    return WEATHER_FILE.read_bytes().splitlines()[1:]


def temp_max_column() -> list[str]:
    with WEATHER_FILE.open(newline="") as handle:
        return [row["temp_max"] for row in csv.DictReader(handle)]


def flights() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(FLIGHTS_FILE.read_bytes())
    return found
