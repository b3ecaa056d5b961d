"""The process-wide wasmtime engine, its epoch ticker and the compiled-module cache.

One engine serves every chain so that compiled modules can be shared. Wall-clock
budgets use epoch interruption: a single daemon thread advances the engine's epoch
every tick, and each guest call sets its store's deadline a number of ticks ahead.
Unlike fuel, this costs the guest next to nothing while it runs.

wasmtime turns traps into signals (SIGILL, SIGSEGV) that its own handlers catch.
Anything that installs handlers for those signals after the first engine exists,
such as ``faulthandler.enable()``, makes every trap kill the process: enable such
tools before the first engine is created, never after.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict

import wasmtime

TICK_SECONDS = 0.01
"""How often the epoch advances; also the resolution of time budgets."""

_engine: wasmtime.Engine | None = None
_engine_lock = threading.Lock()
_ticker: threading.Thread | None = None

# Watch mode compiles every rebuild; keeping only the most recent modules bounds
# memory in a long session while the samples and open benches stay cached.
COMPILED_CACHE_SIZE = 32
_compiled: OrderedDict[str, wasmtime.Module] = OrderedDict()
_compiled_lock = threading.Lock()


def engine() -> wasmtime.Engine:
    """The shared engine, with epoch interruption on and its ticker running."""
    global _engine, _ticker
    with _engine_lock:
        if _engine is None:
            config = wasmtime.Config()
            config.epoch_interruption = True
            _engine = wasmtime.Engine(config)
        if _ticker is None:
            _ticker = threading.Thread(
                target=_advance_epochs,
                args=(_engine,),
                name="smartbench-epoch-ticker",
                daemon=True,
            )
            _ticker.start()
        return _engine


def _advance_epochs(shared: wasmtime.Engine) -> None:
    while True:
        time.sleep(TICK_SECONDS)
        shared.increment_epoch()


def deadline_ticks(budget_seconds: float) -> int:
    """Epoch ticks to allow for a call that may run ``budget_seconds``.

    One tick is added because the first one may arrive at any moment after the
    deadline is set.
    """
    return max(1, math.ceil(budget_seconds / TICK_SECONDS)) + 1


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``: a module's identity in the cache and in info."""
    return hashlib.sha256(data).hexdigest()


def compile_module(data: bytes, digest: str) -> wasmtime.Module:
    """Compile ``data`` once per process; later calls with the same digest reuse it.

    Raises:
        wasmtime.WasmtimeError: The bytes are not a valid module.
    """
    with _compiled_lock:
        cached = _compiled.get(digest)
        if cached is not None:
            _compiled.move_to_end(digest)
            return cached

    # Compile outside the lock: two threads may race on a new module, which only
    # wastes one compilation, while a lock would serialise every compile.
    compiled = wasmtime.Module(engine(), data)
    with _compiled_lock:
        kept = _compiled.setdefault(digest, compiled)
        _compiled.move_to_end(digest)
        while len(_compiled) > COMPILED_CACHE_SIZE:
            _compiled.popitem(last=False)
        return kept
