"""The compiled-module cache reuses modules and stays bounded."""

from __future__ import annotations

import wasmtime

from workbench.engine import runtime


def _module_bytes(marker: int) -> bytes:
    # Each marker makes different bytes, so each is a new cache entry.
    wat = f'(module (func (export "f") (result i32) (i32.const {marker})))'
    return bytes(wasmtime.wat2wasm(wat))


def test_same_digest_reuses_the_compiled_module() -> None:
    data = _module_bytes(-1)
    digest = runtime.sha256_hex(data)

    first = runtime.compile_module(data, digest)

    assert runtime.compile_module(data, digest) is first


def test_cache_keeps_only_the_most_recent_modules() -> None:
    first = _module_bytes(-2)
    first_digest = runtime.sha256_hex(first)
    kept = runtime.compile_module(first, first_digest)

    for marker in range(runtime.COMPILED_CACHE_SIZE + 5):
        data = _module_bytes(marker)
        runtime.compile_module(data, runtime.sha256_hex(data))

    assert len(runtime._compiled) == runtime.COMPILED_CACHE_SIZE
    assert runtime.compile_module(first, first_digest) is not kept
