"""Loading and validating modules: every message names the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from tests.engine.wat_fixtures import wasm
from workbench.engine.module import load_module
from workbench.engine.runtime import sha256_hex
from workbench.engine.types import ModuleKind
from workbench.errors import ModuleLoadError


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def load_error(source: Path | bytes) -> str:
    with pytest.raises(ModuleLoadError) as caught:
        load_module(source)
    assert caught.value.exit_code == 2
    return caught.value.message


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("filter", ModuleKind.FILTER),
        ("map", ModuleKind.MAP),
        ("filter_map", ModuleKind.FILTER_MAP),
        ("array_map", ModuleKind.ARRAY_MAP),
        ("aggregate", ModuleKind.AGGREGATE),
    ],
)
def test_kind_comes_from_the_transform_export(fixture: str, kind: ModuleKind) -> None:
    assert load_module(wasm(fixture)).kind is kind


def test_info_describes_the_file(tmp_path: Path) -> None:
    data = wasm("printer")
    path = write(tmp_path, "printer.wasm", data)

    info = load_module(path).info

    assert info.name == "printer.wasm"
    assert info.path == path
    assert info.size == len(data)
    assert info.sha256 == sha256_hex(data)
    assert info.uses_wasi
    assert "wasi_snapshot_preview1.fd_write" in info.imports
    assert "env.copy_records" in info.imports
    assert {"memory", "alloc", "filter"} <= set(info.exports)
    assert not info.has_init and not info.has_look_back


def test_init_and_look_back_are_detected() -> None:
    info = load_module(wasm("echo"), name="echo").info

    assert info.name == "echo"
    assert info.has_init and info.has_look_back
    assert not info.uses_wasi


def test_compiled_modules_are_shared_between_loads() -> None:
    assert load_module(wasm("map")).module is load_module(wasm("map")).module


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.wasm"

    assert load_error(path) == f"{path}: no such file"


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.wasm", b"")

    assert load_error(path) == f"{path}: file is empty, not a WebAssembly module"


def test_text_file_named_wasm(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.wasm", b"hello, this is not wasm\n")

    message = load_error(path)

    assert message.startswith(f"{path}: not a WebAssembly module: it starts with text")
    assert "'hello, this is n'" in message


def test_binary_junk_is_shown_as_hex(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.wasm", b"k\x00\xff\xfe,\x14>D\x99abc")

    message = load_error(path)

    assert message == (
        f"{path}: not a WebAssembly module: it starts with bytes "
        "6b 00 ff fe 2c 14 3e 44 instead of the \\0asm magic"
    )


def test_wat_text_gets_a_compile_first_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "filter.wasm", b"(module)")

    assert "is WebAssembly text (WAT)" in load_error(path)


def test_truncated_file(tmp_path: Path) -> None:
    data = wasm("map")
    path = write(tmp_path, "cut.wasm", data[: len(data) // 2])

    message = load_error(path)

    assert message.startswith(f"{path}: not a valid WebAssembly module: ")
    assert "(the file looks truncated)" in message


def test_no_transform_lists_exports_and_suggests_the_attribute(tmp_path: Path) -> None:
    path = write(tmp_path, "none.wasm", wasm("no_transform"))

    message = load_error(path)

    assert message.startswith(f"{path}: no SmartModule transform exported.")
    assert "exports found: `memory`, `alloc`, `transform`" in message
    expected = "`filter`, `map`, `filter_map`, `array_map`, `aggregate`"
    assert f"expected one of: {expected}" in message
    assert "#[smartmodule(filter)]" in message


def test_wrong_signature_names_the_legacy_form(tmp_path: Path) -> None:
    path = write(tmp_path, "old.wasm", wasm("legacy_signature"))

    assert load_error(path) == (
        f"{path}: export `filter` has signature (i32, i32) -> i32 (the "
        "two-argument form of SmartModules built before Fluvio 0.10); "
        "expected (i32, i32, i32) -> i32"
    )


def test_unknown_import_is_named() -> None:
    message = load_error(wasm("unknown_import"))

    assert message.startswith("module: imports `env.now`, which the host does not")
    assert "only `copy_records` and WASI preview 1" in message


def test_missing_copy_records_import() -> None:
    assert "does not import `copy_records`" in load_error(wasm("no_copy_records"))


def test_missing_memory_export() -> None:
    source = (
        '(module (import "env" "copy_records" (func (param i32 i32)))'
        ' (memory 1) (func (export "alloc") (param i32) (result i32) (i32.const 0))'
        ' (func (export "map") (param i32 i32 i32) (result i32) (i32.const 0)))'
    )
    message = load_error(bytes(wasmtime.wat2wasm(source)))

    assert message == "module: does not export its linear memory as `memory`"


def test_first_transform_in_fluvio_order_wins_with_a_hint() -> None:
    source = (
        '(module (import "x" "copy_records" (func (param i32 i32)))'
        ' (memory (export "memory") 1)'
        ' (func (export "alloc") (param i32) (result i32) (i32.const 0))'
        ' (func (export "aggregate") (param i32 i32 i32) (result i32) (i32.const 0))'
        ' (func (export "map") (param i32 i32 i32) (result i32) (i32.const 0)))'
    )

    loaded = load_module(bytes(wasmtime.wat2wasm(source)))

    assert loaded.kind is ModuleKind.MAP
    assert loaded.copy_records_module == "x"
    assert loaded.info.hints == (
        "also exports `aggregate`, ignored: the first of filter, map, filter_map, "
        "array_map, aggregate found is the transform",
    )
