"""The SmartModule engine: runs unmodified Fluvio SmartModules through wasmtime.

This package never imports Textual or prompt-toolkit (a test enforces it); the broker,
the registry and the watcher live beside it under the same rule.

Public API (what the broker, the TUI, watch mode and the CLI build on):

- :mod:`workbench.engine.records` — the record codec. ``encode_values`` and
  ``encode_record_list`` build a record list (u32 count + records);
  ``decode_records`` / ``iter_records`` turn one back into :class:`Record` objects,
  for display only.
- :mod:`workbench.engine.types` — plain data: :class:`ModuleKind`,
  :class:`ModuleInfo`, :class:`Limits`, :class:`LookbackConfig`,
  :class:`TransformError`, :class:`ProcessResult`.
- ``load_module(source, *, name=None) -> LoadedModule`` (``module.py``): validate
  a path or bytes (magic, transform export in Fluvio's order, signatures, imports,
  ``memory`` and ``alloc``, optional ``init`` / ``look_back``) and compile it once
  per process. ``LoadedModule.info`` is a :class:`ModuleInfo`; ``.wasm`` the bytes;
  ``.module`` the compiled wasmtime module. Raises
  :class:`workbench.errors.ModuleLoadError` naming the file.
- ``StepConfig(module, params={}, initial=b"", lookback=None)`` and
  ``Chain.build(steps, *, abi_version=22, limits=Limits(), lookback_source=None)``
  (``chain.py``): instantiate each step, run its ``init`` with the params, then
  ``look_back`` for steps that export it and have a lookback, with the history
  ``lookback_source(step_index, lookback)`` returns (an encoded record list, or
  None to skip). Raises ``ChainSetupError`` (a
  :class:`workbench.errors.ModuleRuntimeError` with the modules' ``stdout`` and
  ``stderr``) when an instance cannot be created or ``init`` / ``look_back``
  fails (``init of <module> failed: <hint>`` then ``params given: …``;
  ``SmartModule look_back error: …``). What modules print during a successful
  build is in ``chain.setup_stdout`` / ``chain.setup_stderr``.
- ``Chain.process(records, base_offset, base_timestamp, *, keep_steps=False)`` →
  :class:`ProcessResult`: one wasm call per step for the whole batch; output stays
  encoded; the module's WASI stdout/stderr from that call come back with it (never
  on our terminal). A user error comes back as ``error`` with the records before
  it in ``output``; a failed call (trap, budget, bad output, negative status) as a
  ``failure`` message with an empty record list, e.g. ``<module>: module
  exceeded its 1 GiB memory limit on the batch starting at offset 40``. The host
  keeps each aggregate's accumulator between batches (``chain.accumulator()``).
  Also ``chain.infos``, ``chain.kind`` (last step), ``chain.memory_sizes``,
  ``chain.close()`` (or use the chain as a context manager). Output record lists
  are delimited by a small trusted wasm scanner over guest memory
  (``scanner.py``) and guest exports are called through ``fastcall.py``, so the
  host does no per-record Python work.
- Budgets (:class:`Limits`): a memory limit per module instance (default 1 GiB)
  and a wall-clock budget per guest call (default 5 s) enforced by epoch
  interruption from one shared ticker thread (``runtime.py``, which also caches
  compiled modules by sha256). An instance whose memory grew past half its limit
  between batches is rebuilt (``init`` and ``look_back`` run again, the
  accumulator is kept) with a notice in ``ProcessResult.notices`` (once per
  step); so is an instance after a call that trapped.
- :mod:`workbench.engine.units`: ``format_bytes`` / ``format_duration`` for
  messages, ``parse_size`` / ``parse_duration`` for flags and config.

Importing this package is cheap: ``load_module``, ``LoadedModule``, ``Chain``,
``ChainSetupError`` and ``StepConfig`` are loaded (with wasmtime) on first
attribute access.

One thread uses a chain at a time; different chains may run in parallel threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.engine.records import (
    Record,
    decode_records,
    encode_record_list,
    encode_values,
    iter_records,
)
from workbench.engine.types import (
    DEFAULT_ABI_VERSION,
    Limits,
    LookbackConfig,
    ModuleInfo,
    ModuleKind,
    ProcessResult,
    TransformError,
)

if TYPE_CHECKING:
    from workbench.engine.chain import Chain, ChainSetupError, StepConfig
    from workbench.engine.module import LoadedModule, load_module

_LAZY = {
    "Chain": "workbench.engine.chain",
    "ChainSetupError": "workbench.engine.chain",
    "StepConfig": "workbench.engine.chain",
    "LoadedModule": "workbench.engine.module",
    "load_module": "workbench.engine.module",
}


def __getattr__(name: str) -> Any:
    # Keeps `import workbench.engine` free of wasmtime for fast CLI start-up.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_ABI_VERSION",
    "Chain",
    "ChainSetupError",
    "Limits",
    "LoadedModule",
    "LookbackConfig",
    "ModuleInfo",
    "ModuleKind",
    "ProcessResult",
    "Record",
    "StepConfig",
    "TransformError",
    "decode_records",
    "encode_record_list",
    "encode_values",
    "iter_records",
    "load_module",
]
