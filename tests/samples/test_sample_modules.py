"""Every sample module on the bundled data, through the engine, at ABI 22 and 25."""

from __future__ import annotations

import json

import pytest

from tests.samples.helpers import (
    ABI_VERSIONS,
    QUAKES_FILE,
    Step,
    build_chain,
    compact,
    features,
    flights,
    quake_line,
    records,
    run,
    temp_max_column,
    values,
    weather_rows,
)
from workbench.engine.records import encode_values
from workbench.engine.types import ModuleKind
from workbench.errors import ModuleRuntimeError

abi_versions = pytest.mark.parametrize("abi", ABI_VERSIONS)


@abi_versions
def test_quake_split_turns_the_document_into_one_compact_feature_per_record(
    abi: int,
) -> None:
    result = run(["quake-split"], [QUAKES_FILE.read_bytes()], abi)

    expected = features()
    assert result.ok and result.records_out == 1707
    assert values(result) == [compact(feature) for feature in expected]
    assert [record.key for record in records(result)] == [
        feature["id"].encode() for feature in expected
    ]


@abi_versions
def test_quake_split_pretty_printed_input_still_gives_compact_features(
    abi: int,
) -> None:
    document = {"type": "FeatureCollection", "features": features()[:3]}

    result = run(["quake-split"], [json.dumps(document, indent=2).encode()], abi)

    assert values(result) == [compact(feature) for feature in features()[:3]]


@abi_versions
def test_quake_split_reports_a_record_that_is_no_collection(abi: int) -> None:
    result = run(["quake-split"], [b"[1,2]", b'{"type":"Feature"}'], abi, base_offset=7)

    assert result.error is not None
    assert "FeatureCollection" in result.error.hint
    assert result.error.kind is ModuleKind.ARRAY_MAP
    assert (result.error.offset, result.error.value) == (8, b'{"type":"Feature"}')
    assert values(result) == [b"1", b"2"]


@abi_versions
@pytest.mark.parametrize(("params", "kept"), [({}, 85), ({"min_mag": "6"}, 5)])
def test_quake_filter_keeps_features_at_or_above_min_mag(
    abi: int, params: dict[str, str], kept: int
) -> None:
    threshold = float(params.get("min_mag", "4.5"))
    quakes = features()

    result = run([Step("quake-filter", params)], [compact(f) for f in quakes], abi)

    expected = [
        compact(f)
        for f in quakes
        if f["properties"]["mag"] is not None and f["properties"]["mag"] >= threshold
    ]
    assert result.ok and result.records_out == kept
    assert values(result) == expected


@abi_versions
def test_quake_filter_handles_int_float_negative_and_null_magnitudes(abi: int) -> None:
    def quake(mag: str) -> bytes:
        return b'{"properties":{"place":"x","mag":%s},"id":"q"}' % mag.encode()

    inputs = [quake(m) for m in ("5", "4.5", "4.49", "-0.8", "null", "1e1", "7.0")]

    result = run([Step("quake-filter")], inputs, abi)

    assert values(result) == [quake("5"), quake("4.5"), quake("1e1"), quake("7.0")]


@abi_versions
def test_quake_filter_refuses_a_min_mag_that_is_not_a_number(abi: int) -> None:
    with pytest.raises(ModuleRuntimeError, match="min_mag must be a number, got 'six'"):
        build_chain([Step("quake-filter", {"min_mag": "six"})], abi)


@abi_versions
def test_quake_filter_names_a_record_that_is_not_a_feature(abi: int) -> None:
    result = run(["quake-filter"], [b"hello"], abi, base_offset=3)

    assert result.error is not None
    assert "properties.mag" in result.error.hint
    assert result.error.kind is ModuleKind.FILTER
    assert (result.error.offset, result.error.key, result.error.value) == (
        3,
        None,
        b"hello",
    )


@abi_versions
def test_quake_line_writes_one_line_per_feature(abi: int) -> None:
    quakes = features()

    result = run(["quake-line"], [compact(f) for f in quakes], abi)

    lines = [value.decode() for value in values(result)]
    assert lines == [quake_line(f) for f in quakes]
    assert any(line.startswith("M-") for line in lines)


@abi_versions
def test_split_filter_line_chain_prints_the_hualian_quake_first(abi: int) -> None:
    steps = ["quake-split", "quake-filter", "quake-line"]

    result = run(steps, [QUAKES_FILE.read_bytes()], abi)

    lines = [value.decode() for value in values(result)]
    assert lines[0] == "M4.7 — 7km E of Hualian, Taiwan"
    assert len(lines) == 85


@abi_versions
def test_max_temp_keeps_the_running_maximum_and_ends_at_35_6(abi: int) -> None:
    rows = weather_rows()
    column = temp_max_column()

    result = run(["max-temp"], rows, abi)

    running: list[bytes] = []
    for text in column:
        if not running or float(text) > float(running[-1]):
            running.append(text.encode())
        else:
            running.append(running[-1])
    assert values(result) == running
    assert running[-1] == b"35.6"


@abi_versions
def test_max_temp_carries_its_accumulator_across_batches(abi: int) -> None:
    rows = weather_rows()

    with build_chain(["max-temp"], abi) as chain:
        for start in range(0, len(rows), 500):
            batch = encode_values(rows[start : start + 500])
            result = chain.process(batch, start, 0)
            assert result.ok
        assert chain.accumulator() == b"35.6"
    assert values(result)[-1] == b"35.6"


@abi_versions
def test_max_temp_passes_the_accumulator_through_a_header_row(abi: int) -> None:
    header = b"date,precipitation,temp_max,temp_min,wind,weather"

    result = run([Step("max-temp", initial=b"20.1")], [header, b"d,0,19.5,1"], abi)

    assert values(result) == [b"20.1", b"20.1"]


@abi_versions
def test_late_flights_keeps_451_flights_as_route_and_delay(abi: int) -> None:
    all_flights = flights()
    origins = [flight["origin"].encode() for flight in all_flights]

    result = run(["late-flights"], [compact(f) for f in all_flights], abi, keys=origins)

    late = [f for f in all_flights if f["delay"] >= 15]
    assert len(late) == 451
    assert [value.decode() for value in values(result)] == [
        f"{f['origin']}→{f['destination']} +{f['delay']}" for f in late
    ]
    assert [record.key for record in records(result)] == [
        f["origin"].encode() for f in late
    ]


@abi_versions
def test_logger_prints_each_record_to_stdout_and_a_summary_to_stderr(abi: int) -> None:
    result = run(["logger"], [b"one", b"two"], abi, base_offset=10)

    assert values(result) == [b"one", b"two"]
    assert result.stdout == (
        b"[offset 10, timestamp 1700000000000] one\n"
        b"[offset 11, timestamp 1700000000000] two\n"
    )
    assert result.stderr == b"logger: 2 records\n"
