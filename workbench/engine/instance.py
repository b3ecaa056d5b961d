"""One instantiated SmartModule: its store, WASI capture and guest calls.

Each step of a chain gets its own store, so rebuilding one instance (after a
failure, or when its never-freed output buffers fill half its memory) releases that
instance's memory without touching the others. The memory limit applies to each
linear memory, as Fluvio's limiter does.

Every guest call follows the host ABI: ``alloc`` a buffer, copy the input in, call
the export with ``(ptr, len, version)``, then read what the guest handed to
``copy_records``. Anything the guest does wrong becomes a :class:`CallFailure`
whose text says what happened in the user's terms.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import wasmtime

from workbench.engine.fastcall import I32Call
from workbench.engine.module import LoadedModule, last_line
from workbench.engine.runtime import deadline_ticks, engine
from workbench.engine.scanner import attach_scanner
from workbench.engine.types import Limits
from workbench.engine.units import format_bytes, format_duration

_I32 = wasmtime.ValType.i32()
_COPY_RECORDS_TYPE = wasmtime.FuncType([_I32, _I32], [])
_U32_MASK = 0xFFFFFFFF
# What Rust's default allocation-error handler prints before aborting.
_ALLOCATION_FAILED = re.compile(rb"memory allocation of (\d+) bytes failed")


class CallFailure(Exception):
    """A guest call failed; the message completes the sentence "module …".

    ``trapped`` says the guest stopped mid-call (trap, budget, exit, bad buffer),
    so its static state can no longer be trusted and the instance is rebuilt.
    """

    def __init__(self, reason: str, *, trapped: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.trapped = trapped


@dataclass(frozen=True, slots=True)
class Reply:
    """What a guest call gave back."""

    status: int
    output: bytes | None
    """The buffer passed to copy_records, or None when it was not called."""
    records_end: int | None = None
    """Where the record list at the start of ``output`` ends, when scanned."""


class _OutputSlot:
    """Where ``copy_records`` notes the guest's output buffer.

    wasmtime keeps host callbacks alive until the store is gone, so the callback
    must not hold the instance (which holds the store): that cycle runs through
    native code where Python's collector cannot break it.
    """

    __slots__ = ("buffer",)

    def __init__(self) -> None:
        self.buffer: tuple[int, int] | None = None

    def copy_records(self, pointer: int, length: int) -> None:
        # Only the last call counts, and the bytes are read after the guest
        # returns, as Fluvio does.
        self.buffer = (_unsigned32(pointer), _unsigned32(length))


class _Capture:
    """A WASI output stream sent to a file, read incrementally after each call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader: BinaryIO | None = None
        self._pending = b""

    def start(self) -> None:
        """Forget what was read before; the new store truncates the file."""
        if self._reader is not None:
            self._reader.close()
        self._reader = None

    def peek(self) -> bytes:
        """What the guest wrote since the last take, keeping it for the take."""
        if self._reader is None:
            if not self.path.exists():
                return self._pending
            self._reader = self.path.open("rb")
        self._pending += self._reader.read()
        return self._pending

    def take(self) -> bytes:
        """What the guest wrote since the last take."""
        written = self.peek()
        self._pending = b""
        return written

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class Instance:
    """A live instance of one module in its own store."""

    def __init__(
        self,
        loaded: LoadedModule,
        limits: Limits,
        version: int,
        capture_dir: Path,
        slot: int,
    ) -> None:
        self.loaded = loaded
        self.limits = limits
        self.version = version
        self._stdout = _Capture(capture_dir / f"step{slot}.stdout")
        self._stderr = _Capture(capture_dir / f"step{slot}.stderr")
        self._stdin = capture_dir / f"step{slot}.stdin"
        self._deadline = deadline_ticks(limits.time_budget)
        self._slot = _OutputSlot()
        self._instantiate()

    def _instantiate(self) -> None:
        self._store = wasmtime.Store(engine())
        self._store.set_limits(memory_size=self.limits.memory_bytes)
        self._store.set_wasi(self._wasi_config())
        self._stdout.start()
        self._stderr.start()

        linker = wasmtime.Linker(engine())
        linker.define_wasi()
        linker.define_func(
            self.loaded.copy_records_module,
            "copy_records",
            _COPY_RECORDS_TYPE,
            self._slot.copy_records,
        )
        self._arm()
        try:
            instance = linker.instantiate(self._store, self.loaded.module)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as error:
            raise CallFailure(
                f"could not be instantiated: {last_line(str(error))}"
            ) from None

        exports = instance.exports(self._store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self._memory = memory
        info = self.loaded.info
        self._alloc = _entry(exports["alloc"], 1)
        self._transform = _entry(exports[info.kind.export_name], 3)
        self._init = _entry(exports["init"], 3) if info.has_init else None
        self._look_back = (
            _entry(exports["look_back"], 3) if info.has_look_back else None
        )
        self._scan = attach_scanner(self._store, memory)

    def _wasi_config(self) -> wasmtime.WasiConfig:
        # No arguments, environment or directories: only empty stdin and two
        # capture files, so nothing a module prints reaches our terminal.
        self._stdin.write_bytes(b"")
        config = wasmtime.WasiConfig()
        config.stdin_file = str(self._stdin)
        config.stdout_file = str(self._stdout.path)
        config.stderr_file = str(self._stderr.path)
        return config

    def rebuild(self) -> None:
        """Drop the store (and all guest memory) and instantiate afresh."""
        self._instantiate()

    @property
    def memory_size(self) -> int:
        """Current size in bytes of the instance's linear memory."""
        size: int = self._memory.data_len(self._store)
        return size

    @property
    def has_init(self) -> bool:
        return self._init is not None

    @property
    def has_look_back(self) -> bool:
        return self._look_back is not None

    def take_stdout(self) -> bytes:
        """What the module printed to stdout since the last take."""
        return self._stdout.take()

    def take_stderr(self) -> bytes:
        """What the module printed to stderr since the last take."""
        return self._stderr.take()

    def close(self) -> None:
        self._stdout.close()
        self._stderr.close()

    def call_transform(self, parts: tuple[bytes, ...]) -> Reply:
        """Run the transform export on an input given in parts; scan its records."""
        return self._call(self._transform, parts, scan=True)

    def call_init(self, payload: bytes) -> Reply:
        """Run ``init``; only valid when the module exports it."""
        assert self._init is not None
        return self._call(self._init, (payload,))

    def call_look_back(self, payload: bytes) -> Reply:
        """Run ``look_back``; only valid when the module exports it."""
        assert self._look_back is not None
        return self._call(self._look_back, (payload,))

    def _call(
        self, function: I32Call, parts: tuple[bytes, ...], *, scan: bool = False
    ) -> Reply:
        self._slot.buffer = None
        length = sum(len(part) for part in parts)
        try:
            pointer = self._pass_input(parts, length)
            self._arm()
            status = _signed32(function(self._store, pointer, length, self.version))
        except wasmtime.Trap as trap:
            raise CallFailure(self._describe_trap(trap)) from None
        except wasmtime.WasmtimeError as error:
            raise CallFailure(_describe_error(error)) from None

        # Fluvio reads no output after a failed transform; init and look_back
        # send their error through copy_records with a negative status.
        if self._slot.buffer is None or (scan and status < 0):
            return Reply(status, None)
        return self._read_output(status, scan)

    def _pass_input(self, parts: tuple[bytes, ...], length: int) -> int:
        self._arm()
        pointer = _unsigned32(self._alloc(self._store, length))
        size = self.memory_size
        if pointer + length > size:
            raise CallFailure(
                f"returned from alloc({length}) a pointer {pointer:#x} "
                f"outside its memory of {format_bytes(size)}"
            )

        # Each part goes straight to its place in guest memory: the batch is
        # copied once, never first joined with the few bytes around it.
        address = self._address(pointer)
        for part in parts:
            ctypes.memmove(address, part, len(part))
            address += len(part)
        return pointer

    def _address(self, pointer: int) -> int:
        # Memory.read/write copy through an intermediate bytearray; the batch
        # is copied once instead. Re-read the base each time: growth may move it.
        base = ctypes.addressof(self._memory.data_ptr(self._store).contents)
        return base + pointer

    def _arm(self) -> None:
        self._store.set_epoch_deadline(self._deadline)

    def _read_output(self, status: int, scan: bool) -> Reply:
        assert self._slot.buffer is not None
        pointer, length = self._slot.buffer
        size = self.memory_size
        if pointer + length > size:
            raise CallFailure(
                f"passed copy_records a buffer outside its memory "
                f"(pointer {pointer:#x}, length {length}, memory "
                f"{format_bytes(size)})"
            )

        records_end = None
        if scan:
            self._arm()
            end = _signed32(self._scan(self._store, pointer, pointer + length))
            records_end = end - pointer if end >= 0 else None
        data = ctypes.string_at(self._address(pointer), length)
        return Reply(status, data, records_end)

    def _describe_trap(self, trap: wasmtime.Trap) -> str:
        code = trap.trap_code
        if code == wasmtime.TrapCode.INTERRUPT:
            budget = format_duration(self.limits.time_budget)
            return f"exceeded its {budget} time budget"

        if self._growth_was_refused():
            limit = format_bytes(self.limits.memory_bytes)
            return f"exceeded its {limit} memory limit"
        if code == wasmtime.TrapCode.UNREACHABLE:
            return "panicked (wasm trap: unreachable)"
        return f"crashed ({last_line(trap.message)})"

    def _growth_was_refused(self) -> bool:
        # wasmtime-py refuses growth past the limit by returning -1 from
        # memory.grow, and the guest then traps. A Rust guest built for WASI says
        # how much it asked for; otherwise only a memory already past half the
        # limit can have been refused, since instances are rebuilt below that.
        # TODO(engine): a non-WASI guest whose one huge request from a small
        # memory is refused still reads as a panic; wasmtime-py exposes no
        # limiter callback that would tell us a grow was refused.
        size = self.memory_size
        failed = _ALLOCATION_FAILED.search(self._stderr.peek())
        if failed is None:
            return size > self.limits.memory_bytes // 2
        wanted = size + int(failed.group(1))
        return self.limits.memory_bytes < wanted <= self._declared_maximum

    @property
    def _declared_maximum(self) -> int:
        """The module's own cap on its memory, in bytes (4 GiB when none)."""
        pages = self._memory.type(self._store).limits.max
        return (1 << 32) if pages is None else pages * 65536


def _describe_error(error: wasmtime.WasmtimeError) -> str:
    if isinstance(error, wasmtime.ExitTrap):
        return f"exited through WASI proc_exit with status {error.code}"
    return f"failed: {last_line(str(error))}"


def _entry(item: object, arity: int) -> I32Call:
    # Signatures were checked when the module was loaded.
    assert isinstance(item, wasmtime.Func)
    return I32Call(item, arity)


def _signed32(value: int) -> int:
    value &= _U32_MASK
    return value - (1 << 32) if value & 0x80000000 else value


def _unsigned32(value: int) -> int:
    return value & _U32_MASK
