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
- ``load_module(source, name=None) -> LoadedModule`` (``module.py``): validate a
  path or bytes and compile it; ``LoadedModule.info`` is a :class:`ModuleInfo`.
  Raises :class:`workbench.errors.ModuleLoadError` naming the file.
- ``Chain.build(steps, abi_version=22, limits=Limits(), lookback=None)``
  (``chain.py``): instantiate each :class:`StepConfig` (module, params, aggregate
  initial value, lookback) in one store, run ``init`` then ``look_back``. Raises
  :class:`workbench.errors.ModuleRuntimeError` when ``init`` or ``look_back`` fails.
- ``Chain.process(records, base_offset, base_timestamp, keep_steps=False)`` →
  :class:`ProcessResult`: one wasm call per step for the whole batch; output stays
  encoded; captured stdout/stderr of that call come back with it.

One thread uses a chain at a time; different chains may run in parallel threads.
"""

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

__all__ = [
    "DEFAULT_ABI_VERSION",
    "Limits",
    "LookbackConfig",
    "ModuleInfo",
    "ModuleKind",
    "ProcessResult",
    "Record",
    "TransformError",
    "decode_records",
    "encode_record_list",
    "encode_values",
    "iter_records",
]
