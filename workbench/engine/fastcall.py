"""Calling guest exports whose i32 signatures were checked at load, cheaply.

wasmtime-py's ``Func.__call__`` asks the function for its type and converts every
argument through ``ValType`` objects on each call, which costs about 0.2 ms: more
than a small batch takes to run. Signatures are validated once when a module is
loaded, so the engine calls through wasmtime's unchecked entry point with one
reused argument array instead.

This leans on wasmtime-py internals (``_ffi``, ``Trap._from_ptr``,
``WasmtimeError._from_ptr``), which is why the package is pinned exactly.
"""

from __future__ import annotations

import ctypes

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import maybe_raise_last_exn


class I32Call:
    """A guest function of type ``(i32, …) -> i32``, callable with plain ints."""

    __slots__ = ("_func", "_slots", "_values")

    def __init__(self, func: wasmtime.Func, arity: int) -> None:
        self._func = func._func
        self._slots = max(arity, 1)
        self._values = (ffi.wasmtime_val_raw_t * self._slots)()

    def __call__(self, store: wasmtime.Store, *args: int) -> int:
        """Call the function; raises ``wasmtime.Trap`` or ``WasmtimeError``."""
        values = self._values
        for index, value in enumerate(args):
            values[index].i32 = value

        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = ffi.wasmtime_func_call_unchecked(
            store._context(),
            ctypes.byref(self._func),
            values,
            self._slots,
            ctypes.byref(trap),
        )
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        if trap:
            raise wasmtime.Trap._from_ptr(trap)

        # A Python exception inside a host callback is parked there by wasmtime-py.
        maybe_raise_last_exn()
        result: int = values[0].i32
        return result
