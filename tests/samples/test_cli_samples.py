"""`smartbench test` on the sample modules and data, as a user would run it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunSmartbench
from tests.samples.helpers import MODULES, QUAKES_FILE, compact, features, quake_line

QUAKE_SPLIT = MODULES / "quake-split.wasm"
QUAKE_FILTER = MODULES / "quake-filter.wasm"
QUAKE_LINE = MODULES / "quake-line.wasm"


def _step(module: Path, **params: str) -> str:
    step: dict[str, object] = {"uses": str(module)}
    if params:
        step["with"] = params
    return json.dumps(step)


def _features_file(folder: Path) -> Path:
    path = folder / "features.jsonl"
    path.write_bytes(b"\n".join(compact(f) for f in features()) + b"\n")
    return path


def test_quake_split_on_the_raw_document_prints_one_feature_per_line(
    run_smartbench: RunSmartbench,
) -> None:
    result = run_smartbench(
        "test", "--wasm-file", QUAKE_SPLIT, "--file", QUAKES_FILE, "--raw"
    )

    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1707
    assert lines == [compact(feature).decode() for feature in features()]


def test_filter_then_line_chain_prints_the_hualian_quake_first(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    result = run_smartbench(
        "test",
        "--transforms-line",
        _step(QUAKE_FILTER),
        "--transforms-line",
        _step(QUAKE_LINE),
        "--file",
        _features_file(tmp_path),
    )

    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "M4.7 — 7km E of Hualian, Taiwan"
    assert len(lines) == 85


def test_the_whole_pipeline_from_the_raw_document_with_min_mag_6(
    run_smartbench: RunSmartbench,
) -> None:
    result = run_smartbench(
        "test",
        "--transform",
        _step(QUAKE_SPLIT),
        "--transform",
        _step(QUAKE_FILTER, min_mag="6"),
        "--transform",
        _step(QUAKE_LINE),
        "--file",
        QUAKES_FILE,
        "--raw",
        "--abi-version",
        "25",
    )

    strong = [f for f in features() if (f["properties"]["mag"] or 0) >= 6]
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().splitlines() == [quake_line(f) for f in strong]
    assert len(strong) == 5


def test_quake_filter_takes_min_mag_from_params(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    features_file = _features_file(tmp_path)

    default = run_smartbench(
        "test", "--wasm-file", QUAKE_FILTER, "--file", features_file
    )
    strong = run_smartbench(
        "test", "--wasm-file", QUAKE_FILTER, "-e", "min_mag=6", "--file", features_file
    )

    assert default.returncode == 0 and strong.returncode == 0
    assert len(default.stdout.splitlines()) == 85
    assert len(strong.stdout.splitlines()) == 5
