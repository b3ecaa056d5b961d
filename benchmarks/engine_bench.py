"""How fast the engine runs a SmartModule over a million records.

Prints a Markdown report (paste it into README.md under "Benchmarks"):
throughput of five ways to run the same filter over the same batches, the fixed
cost of one engine call, host memory at two input sizes, guest memory and each
module's compile time.

    python benchmarks/engine_bench.py [--records N] [extra.wasm ...]

The input is encoded once into batches before anything is timed. The default
module is the bundled ``tpl-filter``, which keeps values containing ``a``; half
of the generated records contain one. Extra ``.wasm`` files given on the
command line are measured the same way, except for the pure-Python row, which
only exists for the bundled filter's predicate.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import platform
import struct
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import wasmtime

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from workbench.engine import runtime  # noqa: E402
from workbench.engine.chain import Chain, StepConfig  # noqa: E402
from workbench.engine.module import LoadedModule, load_module  # noqa: E402
from workbench.engine.records import encode_values, iter_records  # noqa: E402
from workbench.engine.types import Limits, ModuleKind  # noqa: E402

SAMPLE_FILTER = REPO_ROOT / "sample_modules" / "tpl-filter.wasm"
ABI_VERSION = 22
BASE_TIMESTAMP = 1_700_000_000_000

# 90 bytes without an "a", so the first byte alone decides the predicate.
FILLER = (b" 0123456789bcdefghijklmnopqrstuvwxyz" * 3)[:90]


@dataclass(frozen=True)
class Workload:
    """The benchmark input: every record, and the same records in batches."""

    values: list[bytes]
    batches: list[bytes]
    batch_size: int


def make_workload(count: int, batch_size: int) -> Workload:
    values = [
        (b"a" if index % 2 == 0 else b"b") + b"%09d" % index + FILLER
        for index in range(count)
    ]
    batches = [
        encode_values(values[start : start + batch_size])
        for start in range(0, count, batch_size)
    ]
    return Workload(values, batches, batch_size)


def input_payload(records: bytes, base_offset: int, aggregate: bool) -> bytes:
    """SmartModuleInput at ABI 22: empty params and join record, then the time."""
    payload = (
        struct.pack(">qI", base_offset, len(records))
        + records
        + bytes(7)
        + struct.pack(">q", BASE_TIMESTAMP)
    )
    return payload + bytes(4) if aggregate else payload


class RawRunner:
    """The module under plain wasmtime: the engine's Config minus the time budget."""

    def __init__(self, wasm: bytes, kind: ModuleKind) -> None:
        engine = wasmtime.Engine(wasmtime.Config())
        module = wasmtime.Module(engine, wasm)
        self.store = wasmtime.Store(engine)
        self.store.set_wasi(wasmtime.WasiConfig())
        self.output: tuple[int, int] = (0, 0)

        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        import_module = next(
            item.module for item in module.imports if item.name == "copy_records"
        )
        i32 = wasmtime.ValType.i32()
        linker.define_func(
            import_module,
            "copy_records",
            wasmtime.FuncType([i32, i32], []),
            self._copy_records,
            access_caller=True,
        )
        exports = linker.instantiate(self.store, module).exports(self.store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self.memory = memory
        self.alloc = _function(exports["alloc"])
        self.transform = _function(exports[kind.export_name])
        if "init" in exports:
            self.call(_function(exports["init"]), b"\x00\x00\x00")

    def _copy_records(self, caller: wasmtime.Caller, pointer: int, length: int) -> None:
        self.output = (pointer, length)

    def call(self, function: wasmtime.Func, payload: bytes) -> bytes:
        pointer = self.alloc(self.store, len(payload))
        self.memory.write(self.store, payload, pointer)
        status = function(self.store, pointer, len(payload), ABI_VERSION)
        if status < 0:
            raise RuntimeError(f"module returned status {status}")
        start, length = self.output
        return bytes(self.memory.read(self.store, start, start + length))

    def guest_memory(self) -> int:
        size: int = self.memory.data_len(self.store)
        return size


def _function(item: object) -> wasmtime.Func:
    assert isinstance(item, wasmtime.Func)
    return item


@dataclass(frozen=True)
class Rate:
    """Records per second by the wall clock and by this process's CPU time.

    On a shared machine the wall-clock rate drops with other processes' load;
    the CPU-time rate is what an idle machine would do, so targets use it.
    """

    wall: float
    cpu: float


def best_rate(records: int, run: Callable[[], None], repeats: int) -> Rate:
    """The rates of the fastest of ``repeats`` runs (each clock's own best)."""
    return best_rates(records, {"run": run}, repeats)["run"]


def best_rates(
    records: int, runs: dict[str, Callable[[], None]], repeats: int
) -> dict[str, Rate]:
    """Each run's best rates, taking turns so that all see the same load.

    On a shared machine the load changes from one second to the next; rows that
    are compared with each other are timed in alternation, not one after the other.
    """
    best = {name: [float("inf"), float("inf")] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            times = best[name]
            times[0] = min(times[0], time.perf_counter() - wall)
            times[1] = min(times[1], time.process_time() - cpu)
    return {
        name: Rate(records / wall, records / max(cpu, 1e-9))
        for name, (wall, cpu) in best.items()
    }


def build_chain(loaded: LoadedModule) -> Chain:
    return Chain.build([StepConfig(loaded)], abi_version=ABI_VERSION)


@dataclass
class ModuleReport:
    name: str
    compile_ms: float
    rates: dict[str, Rate | None]
    fixed_cost: Rate
    """Milliseconds per 1-record engine call (wall, CPU)."""
    host_peak: dict[int, int]
    guest_memory: int
    records_out: int


def measure(
    path: Path, workload: Workload, per_record: int, repeats: int
) -> ModuleReport:
    wasm = path.read_bytes()
    loaded = load_module(path)
    aggregate = loaded.kind is ModuleKind.AGGREGATE
    batches = workload.batches
    count = len(workload.values)
    offsets = range(0, count, workload.batch_size)
    rates: dict[str, Rate | None] = {}

    raw = RawRunner(wasm, loaded.kind)
    payloads = [
        input_payload(batch, offset, aggregate)
        for batch, offset in zip(batches, offsets, strict=True)
    ]

    def run_raw() -> None:
        for payload in payloads:
            raw.call(raw.transform, payload)

    chain = build_chain(loaded)
    outputs: list[int] = []

    def run_engine() -> None:
        outputs.clear()
        for batch, offset in zip(batches, offsets, strict=True):
            result = chain.process(batch, offset, BASE_TIMESTAMP)
            outputs.append(result.records_out)

    rates.update(best_rates(count, {"raw": run_raw, "engine": run_engine}, repeats))

    def run_engine_decoded() -> None:
        for batch, offset in zip(batches, offsets, strict=True):
            result = chain.process(batch, offset, BASE_TIMESTAMP)
            for record in iter_records(result.output):
                (offset + record.offset_delta, record.key, record.value)

    rates["decoded"] = best_rate(count, run_engine_decoded, 1)

    singles = [encode_values([value]) for value in workload.values[:per_record]]

    def run_per_record() -> None:
        for offset, single in enumerate(singles):
            chain.process(single, offset, BASE_TIMESTAMP)

    per_record_rate = best_rate(len(singles), run_per_record, 1)
    rates["per_record"] = per_record_rate
    fixed_cost = Rate(1000 / per_record_rate.wall, 1000 / per_record_rate.cpu)

    if path.resolve() == SAMPLE_FILTER.resolve():

        def run_python() -> None:
            for batch in batches:
                [record for record in iter_records(batch) if b"a" in record.value]

        rates["python"] = best_rate(count, run_python, 1)
    else:
        rates["python"] = None
    chain.close()

    return ModuleReport(
        name=path.stem,
        compile_ms=compile_time_ms(wasm),
        rates=rates,
        fixed_cost=fixed_cost,
        host_peak=host_peaks(loaded, workload),
        guest_memory=raw.guest_memory(),
        records_out=sum(outputs),
    )


def host_peaks(loaded: LoadedModule, workload: Workload) -> dict[int, int]:
    """Peak Python-heap growth while the engine runs 10 % and 100 % of the input."""
    peaks = {}
    for fraction in (10, 1):
        batches = workload.batches[: max(1, len(workload.batches) // fraction)]
        records = min(len(workload.values), len(batches) * workload.batch_size)
        with build_chain(loaded) as chain:
            gc.collect()
            tracemalloc.start()
            for index, batch in enumerate(batches):
                chain.process(batch, index * workload.batch_size, BASE_TIMESTAMP)
            peaks[records] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return peaks


def compile_time_ms(wasm: bytes) -> float:
    """Fastest of three fresh compiles with the engine's own Config."""
    config = wasmtime.Config()
    config.epoch_interruption = True
    engine = wasmtime.Engine(config)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        wasmtime.Module(engine, wasm)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (
        "-dirty" if git("status", "--porcelain", "--untracked-files=no") else ""
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.machine()}, {model or cpu}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def rate_cells(rate: Rate | None, raw: Rate) -> str:
    if rate is None:
        return "— | — | —"
    return f"{rate.cpu:,.0f} | {rate.wall:,.0f} | {rate.cpu / raw.cpu:.0%}"


def render(reports: Sequence[ModuleReport], workload: Workload, per_record: int) -> str:
    count = len(workload.values)
    lines = [
        f"Commit `{commit()}` · {machine()} · wasmtime-py "
        f"{importlib.metadata.version('wasmtime')}",
        "",
        "wasmtime Config: engine = `Config()` + `epoch_interruption = True` "
        f"(time budget {Limits().time_budget:g} s per call, epoch tick "
        f"{runtime.TICK_SECONDS * 1000:g} ms); raw = `Config()`. ABI version "
        f"{ABI_VERSION}; {count:,} records of {len(workload.values[0])} bytes in "
        f"batches of {workload.batch_size:,}, encoded before timing.",
        "",
        "| module | row | records/s (CPU) | records/s (wall) | vs raw (CPU) |",
        "|---|---|---:|---:|---:|",
    ]
    labels = {
        "raw": "1. raw wasmtime: alloc + write + transform + read (ceiling)",
        "engine": "2. engine, bytes → bytes (time budget on)",
        "decoded": "3. engine + decode every output record",
        "per_record": f"4. engine, one call per record (first {per_record:,})",
        "python": "5. pure Python: decode + same predicate",
    }
    for report in reports:
        raw = report.rates["raw"] or Rate(1.0, 1.0)
        for key, label in labels.items():
            cells = rate_cells(report.rates[key], raw)
            lines.append(f"| {report.name} | {label} | {cells} |")

    lines += ["", "| module | measure | value | target |", "|---|---|---:|---|"]
    for report in reports:
        engine, raw, single = (
            report.rates["engine"] or Rate(0, 0),
            report.rates["raw"] or Rate(1, 1),
            report.rates["per_record"] or Rate(1, 1),
        )
        small, large = sorted(report.host_peak.items())
        drift = abs(large[1] - small[1]) / max(small[1], 1)
        rows = [
            ("records out", f"{report.records_out:,}", ""),
            (
                "(2) / (1), CPU (wall)",
                f"{engine.cpu / raw.cpu:.0%} ({engine.wall / raw.wall:.0%})",
                "≥ 70 %",
            ),
            (
                "(2) / (4), CPU (wall)",
                f"{engine.cpu / single.cpu:.0f}× ({engine.wall / single.wall:.0f}×)",
                "≥ 20×",
            ),
            (
                "fixed cost per engine call, 1-record batches, CPU (wall)",
                f"{report.fixed_cost.cpu:.3f} ms ({report.fixed_cost.wall:.3f} ms)",
                "≤ 0.5 ms",
            ),
            (f"host peak (tracemalloc), {small[0]:,} records", mib(small[1]), ""),
            (
                f"host peak (tracemalloc), {large[0]:,} records",
                mib(large[1]),
                f"within 10 % ({drift:.1%})",
            ),
            ("guest linear memory after the run", mib(report.guest_memory), ""),
            ("compile time", f"{report.compile_ms:.1f} ms", ""),
        ]
        lines += [f"| {report.name} | {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", type=Path, help="extra .wasm files")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--per-record", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    workload = make_workload(args.records, args.batch)
    per_record = min(args.per_record, args.records)
    paths = [SAMPLE_FILTER, *args.modules]
    reports = [measure(path, workload, per_record, args.repeats) for path in paths]
    print(render(reports, workload, per_record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
