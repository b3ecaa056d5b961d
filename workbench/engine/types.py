"""Plain data the engine hands to its callers (broker, TUI, watch, CLI).

Nothing here touches wasmtime, so front ends can import these types cheaply.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ABI_VERSION = 22
DEFAULT_MEMORY_LIMIT = 1 << 30
DEFAULT_TIME_BUDGET = 5.0


class ModuleKind(enum.Enum):
    """The five SmartModule kinds, in the order Fluvio looks for their exports."""

    FILTER = "filter"
    MAP = "map"
    FILTER_MAP = "filter-map"
    ARRAY_MAP = "array-map"
    AGGREGATE = "aggregate"

    @property
    def export_name(self) -> str:
        """The wasm export that implements this kind (``filter_map``, …)."""
        return self.value.replace("-", "_")

    @property
    def type_name(self) -> str:
        """The name Fluvio prints in error blocks (``FilterMap``, …)."""
        return "".join(part.capitalize() for part in self.value.split("-"))

    @property
    def tag(self) -> int:
        """Fluvio's ``SmartModuleKind`` tag byte for this kind."""
        return _KIND_TAGS[self]

    @classmethod
    def from_tag(cls, tag: int) -> ModuleKind | None:
        """The kind for a tag byte, or None for Join (5), Generic (6) or unknown."""
        for kind, known in _KIND_TAGS.items():
            if known == tag:
                return kind
        return None


_KIND_TAGS = {
    ModuleKind.FILTER: 0,
    ModuleKind.MAP: 1,
    ModuleKind.ARRAY_MAP: 2,
    ModuleKind.AGGREGATE: 3,
    ModuleKind.FILTER_MAP: 4,
}


@dataclass(frozen=True)
class ModuleInfo:
    """What validation learned about a module, shown by `describe` and bench headers."""

    name: str
    """Display name: the registered name, or the file name of an ad-hoc module."""
    path: Path | None
    """Where the bytes came from, when they came from a file."""
    kind: ModuleKind
    exports: tuple[str, ...]
    imports: tuple[str, ...]
    """Imports as ``module.name`` strings."""
    has_init: bool
    has_look_back: bool
    size: int
    sha256: str
    uses_wasi: bool
    hints: tuple[str, ...] = ()
    """Advice found while validating (e.g. an SDK older than ABI 23)."""


@dataclass(frozen=True)
class Limits:
    """Resource budgets for one chain."""

    memory_bytes: int = DEFAULT_MEMORY_LIMIT
    """Largest linear memory any module of the chain may grow to."""
    time_budget: float = DEFAULT_TIME_BUDGET
    """Wall-clock seconds one guest call (alloc, init, look_back, transform) gets."""


@dataclass(frozen=True)
class LookbackConfig:
    """Which history a step's ``look_back`` sees: the last N records and/or an age."""

    last: int = 0
    age_seconds: float | None = None


def record_text(key: bytes | None, value: bytes) -> tuple[str, str]:
    """A failing record's key and value as Fluvio's error blocks print them."""
    key_text = "NULL" if key is None else key.decode("utf-8", "replace")
    try:
        value_text = value.decode("utf-8")
    except UnicodeDecodeError:
        value_text = f"Binary: {len(value)} bytes"
    return key_text, value_text


@dataclass(frozen=True)
class TransformError:
    """A runtime error raised by user code inside a transform (Fluvio's struct)."""

    hint: str
    offset: int
    kind: ModuleKind | None
    key: bytes | None
    value: bytes

    def render(self) -> str:
        """Fluvio's error block: hint, then SmartModule Info with the record."""
        key, value = record_text(self.key, self.value)
        type_name = self.kind.type_name if self.kind else "Generic"
        return (
            f"SmartModule transform error {self.hint}\n\n"
            "SmartModule Info:\n"
            f"    Type: {type_name}\n"
            f"    Offset: {self.offset}\n"
            f"    Key: {key}\n"
            f"    Value: {value}"
        )


@dataclass(frozen=True)
class ProcessResult:
    """The outcome of one ``Chain.process`` call: one wasm call per step."""

    output: bytes
    """Encoded record list (u32 count + records) of the last step that ran."""
    records_in: int
    records_out: int
    error: TransformError | None = None
    """User error: ``output`` holds the records produced before it."""
    failure: str | None = None
    """Call failure (trap, budget, bad output, negative status): no output."""
    stdout: bytes = b""
    stderr: bytes = b""
    step_outputs: tuple[bytes, ...] | None = None
    """Each step's encoded output, when asked for."""
    notices: tuple[str, ...] = field(default=())
    """Host notes for the user (e.g. module state reset after a memory rebuild)."""

    @property
    def ok(self) -> bool:
        """True when no step failed and no user error was returned."""
        return self.error is None and self.failure is None
