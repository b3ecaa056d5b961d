"""Chains of SmartModules: build (``init``, ``look_back``) and process batches.

A chain runs each batch through its steps with one guest call per step. A step's
user error ends the batch with that step's output; otherwise its successes become
the next step's input, with the base offset and timestamp of the chain's input.
The host holds each aggregate's accumulator between batches.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from workbench.engine import abi
from workbench.engine.codec import DecodeError
from workbench.engine.instance import CallFailure, Instance
from workbench.engine.module import LoadedModule
from workbench.engine.records import record_count
from workbench.engine.types import (
    DEFAULT_ABI_VERSION,
    Limits,
    LookbackConfig,
    ModuleInfo,
    ModuleKind,
    ProcessResult,
    TransformError,
)
from workbench.engine.units import format_bytes
from workbench.errors import ModuleRuntimeError, RecordsRefusedError

LookbackSource = Callable[[int, LookbackConfig], bytes | None]
"""Given a step index and its lookback setting, the history as a record list."""

EMPTY_RECORD_LIST = b"\x00\x00\x00\x00"

_OLD_SDK_HINT = (
    "hint: a status of -11 at ABI version {version} usually means the module was "
    "built with an SDK older than fluvio-smartmodule 0.7.2 (July 2023), which "
    "cannot read this input; run it at ABI version 22"
)


@dataclass(frozen=True)
class StepConfig:
    """One step of a chain: a module and how to set it up."""

    module: LoadedModule
    params: dict[str, str] = field(default_factory=dict)
    """Passed to the module's ``init``."""
    initial: bytes = b""
    """The aggregate accumulator before the first batch."""
    lookback: LookbackConfig | None = None
    """Which history ``look_back`` sees; None means it is not called."""


class ChainSetupError(ModuleRuntimeError):
    """``init`` or ``look_back`` failed while a chain was built.

    Carries what the modules printed meanwhile (a Rust panic message, say).
    """

    def __init__(self, message: str, stdout: bytes = b"", stderr: bytes = b"") -> None:
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


class _Step:
    """A step's live instance plus what the host keeps for it between batches."""

    def __init__(
        self, index: int, config: StepConfig, instance: Instance, version: int
    ) -> None:
        self.index = index
        self.config = config
        self.instance = instance
        self.version = version
        self.accumulator = config.initial
        self.aggregate = config.module.kind is ModuleKind.AGGREGATE
        self.stale_reason: str | None = None
        self.settled_memory = 0
        """Memory size once init and look_back ran: rebuilding cannot go below."""
        self.reset_reasons_noted: set[str] = set()

    @property
    def name(self) -> str:
        return self.config.module.name


class Chain:
    """An instantiated chain of SmartModules; build it with :meth:`Chain.build`.

    One thread uses a chain at a time; different chains may run in parallel.
    """

    def __init__(
        self,
        steps: list[_Step],
        limits: Limits,
        lookback_source: LookbackSource | None,
        capture_dir: Path,
    ) -> None:
        self._steps = steps
        self.limits = limits
        self._lookback_source = lookback_source
        self._capture_dir = capture_dir
        self._cleanup = weakref.finalize(
            self, shutil.rmtree, capture_dir, ignore_errors=True
        )
        self.setup_stdout = b""
        """What the modules printed to stdout during ``init`` and ``look_back``."""
        self.setup_stderr = b""
        """What the modules printed to stderr during ``init`` and ``look_back``."""

    @classmethod
    def build(
        cls,
        steps: Sequence[StepConfig],
        *,
        abi_version: int = DEFAULT_ABI_VERSION,
        limits: Limits | None = None,
        lookback_source: LookbackSource | None = None,
    ) -> Chain:
        """Instantiate every step, run each ``init``, then each ``look_back``.

        Args:
            steps: The modules in chain order, with params, initial accumulator
                and lookback setting.
            abi_version: Protocol version passed to every call (22 as Fluvio's
                engine and ``smdk``; 25 as a current cluster).
            limits: Memory limit per module and time budget per guest call.
            lookback_source: Supplies history for steps that export ``look_back``
                and have a lookback setting; when it returns None, ``look_back``
                is not called.

        Raises:
            ChainSetupError: An instance could not be created, or ``init`` or
                ``look_back`` failed (a :class:`ModuleRuntimeError` that also
                carries what the modules printed).
            ValueError: ``steps`` is empty.
        """
        if not steps:
            raise ValueError("a chain needs at least one step")
        limits = limits or Limits()
        capture_dir = Path(tempfile.mkdtemp(prefix="smartbench-chain-"))
        built: list[_Step] = []
        try:
            for index, config in enumerate(steps):
                instance = _instantiate(
                    config.module, limits, abi_version, capture_dir, index
                )
                built.append(_Step(index, config, instance, abi_version))
                _run_init(built[-1])
            for step in built:
                _run_look_back(step, lookback_source)
                step.settled_memory = step.instance.memory_size
        except ModuleRuntimeError as error:
            stdout, stderr = _drain_logs(built)
            _discard(built, capture_dir)
            raise ChainSetupError(error.message, stdout, stderr) from None
        except BaseException:
            _discard(built, capture_dir)
            raise

        chain = cls(built, limits, lookback_source, capture_dir)
        chain.setup_stdout, chain.setup_stderr = _drain_logs(built)
        return chain

    @property
    def infos(self) -> tuple[ModuleInfo, ...]:
        """What validation learned about each step's module, in chain order."""
        return tuple(step.config.module.info for step in self._steps)

    @property
    def kind(self) -> ModuleKind:
        """The kind of the last step, which shapes the chain's output."""
        return self._steps[-1].config.module.kind

    @property
    def abi_version(self) -> int:
        return self._steps[0].version

    @property
    def memory_sizes(self) -> tuple[int, ...]:
        """Current linear-memory size in bytes of each step's instance."""
        return tuple(step.instance.memory_size for step in self._steps)

    def accumulator(self, step_index: int = -1) -> bytes:
        """The accumulator the host holds for an aggregate step (default: last)."""
        return self._steps[step_index].accumulator

    def process(
        self,
        records: bytes,
        base_offset: int,
        base_timestamp: int,
        *,
        keep_steps: bool = False,
    ) -> ProcessResult:
        """Run one batch through the chain: one guest call per step.

        Args:
            records: An encoded record list (u32 count + records).
            base_offset: Offset of the batch; record offset deltas add to it.
            base_timestamp: Milliseconds the records' timestamp deltas add to.
            keep_steps: Also return each step's encoded successes.

        Returns:
            The output of the last step that ran, a user error with the records
            before it, or a failure message with an empty record list.

        Raises:
            RecordsRefusedError: ``records`` is not an encoded record list.
        """
        try:
            records_in = record_count(records)
        except DecodeError as error:
            raise RecordsRefusedError(
                f"input batch is not a record list: {error}"
            ) from None

        try:
            notices = self._refresh_stale_steps()
        except ModuleRuntimeError as error:
            return _BatchRun(records_in, [], keep_steps).failed(error.message)

        run = _BatchRun(records_in, notices, keep_steps)
        current = records
        for step in self._steps:
            try:
                output = self._run_step(step, current, base_offset, base_timestamp)
            except CallFailure as failure:
                if failure.trapped:
                    step.stale_reason = "failure"
                run.collect_logs(step.instance)
                return run.failed(self._failure_text(step, failure, base_offset))

            run.collect_logs(step.instance)
            run.collect_output(output.successes)
            self._note_memory_growth(step)
            if output.error is not None or step is self._steps[-1]:
                return run.finished(output)
            current = output.successes
        raise AssertionError("unreachable: the last step always returns")

    def _run_step(
        self, step: _Step, records: bytes, base_offset: int, base_timestamp: int
    ) -> abi.TransformOutput:
        accumulator = step.accumulator if step.aggregate else None
        parts = abi.input_parts(
            records, base_offset, base_timestamp, step.version, accumulator
        )
        reply = step.instance.call_transform(parts)
        if reply.status < 0:
            raise CallFailure(
                _status_text(reply.status, abi.TRANSFORM_STATUS_NAMES), trapped=False
            )
        if reply.output is None:
            raise CallFailure("returned without calling copy_records", trapped=False)
        try:
            output = abi.decode_output(
                reply.output,
                step.version,
                aggregate=step.aggregate,
                records_end=reply.records_end,
            )
        except DecodeError as error:
            raise CallFailure(
                f"wrote an output that cannot be decoded ({error})", trapped=False
            ) from None

        if step.aggregate:
            step.accumulator = output.accumulator or b""
        return output

    def _failure_text(self, step: _Step, failure: CallFailure, offset: int) -> str:
        text = (
            f"{step.name}: module {failure.reason} "
            f"on the batch starting at offset {offset}"
        )
        if (
            failure.reason.startswith("returned error status -11 ")
            and step.version > 22
        ):
            text += "\n" + _OLD_SDK_HINT.format(version=step.version)
        return text

    def _note_memory_growth(self, step: _Step) -> None:
        # SDK modules never free their output buffers, so memory only grows;
        # past half the limit, the next batch could be refused. A module that
        # starts out that large would gain nothing from a rebuild.
        size = step.instance.memory_size
        if size > self.limits.memory_bytes // 2 and size > step.settled_memory:
            step.stale_reason = "memory"

    def _refresh_stale_steps(self) -> list[str]:
        notices = []
        for step in self._steps:
            reason = step.stale_reason
            if reason is None:
                continue
            try:
                step.instance.rebuild()
            except CallFailure as failure:
                raise ModuleRuntimeError(
                    f"{step.name}: module {failure.reason}"
                ) from None
            _run_init(step)
            _run_look_back(step, self._lookback_source)

            # Only a fully rebuilt step is fresh; otherwise retry next batch.
            step.stale_reason = None
            step.settled_memory = step.instance.memory_size
            if reason not in step.reset_reasons_noted:
                step.reset_reasons_noted.add(reason)
                notices.append(self._reset_notice(step, reason))
        return notices

    def _reset_notice(self, step: _Step, reason: str) -> str:
        if reason == "memory":
            limit = format_bytes(self.limits.memory_bytes)
            cause = (
                f"its memory passed half its {limit} limit (output buffers are "
                "never freed)"
            )
        else:
            cause = "it stopped in the middle of the previous batch"
        reran = [
            name
            for name, ran in (
                ("init", step.instance.has_init),
                ("look_back", step.instance.has_look_back and step.config.lookback),
            )
            if ran
        ]
        again = f" and its {' and '.join(reran)} ran again" if reran else ""
        kept = "; the aggregate accumulator was kept" if step.aggregate else ""
        return (
            f"{step.name}: module static state was reset: {cause}, so it was "
            f"instantiated again{again}{kept}"
        )

    def close(self) -> None:
        """Release every instance and the capture files."""
        for step in self._steps:
            step.instance.close()
        self._cleanup()

    def __enter__(self) -> Chain:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _BatchRun:
    """What one ``process`` call gathers from its steps on the way."""

    def __init__(self, records_in: int, notices: list[str], keep_steps: bool) -> None:
        self.records_in = records_in
        self.notices = tuple(notices)
        self.keep_steps = keep_steps
        self.outputs: list[bytes] = []
        self.stdout: list[bytes] = []
        self.stderr: list[bytes] = []

    def collect_logs(self, instance: Instance) -> None:
        self.stdout.append(instance.take_stdout())
        self.stderr.append(instance.take_stderr())

    def collect_output(self, successes: bytes) -> None:
        self.outputs.append(successes)

    def finished(self, output: abi.TransformOutput) -> ProcessResult:
        return self._result(output.successes, output.count, error=output.error)

    def failed(self, message: str) -> ProcessResult:
        return self._result(EMPTY_RECORD_LIST, 0, failure=message)

    def _result(
        self,
        records: bytes,
        count: int,
        *,
        error: TransformError | None = None,
        failure: str | None = None,
    ) -> ProcessResult:
        return ProcessResult(
            output=records,
            records_in=self.records_in,
            records_out=count,
            error=error,
            failure=failure,
            stdout=b"".join(self.stdout),
            stderr=b"".join(self.stderr),
            step_outputs=tuple(self.outputs) if self.keep_steps else None,
            notices=self.notices,
        )


def _drain_logs(steps: list[_Step]) -> tuple[bytes, bytes]:
    stdout = b"".join(step.instance.take_stdout() for step in steps)
    stderr = b"".join(step.instance.take_stderr() for step in steps)
    return stdout, stderr


def _discard(steps: list[_Step], capture_dir: Path) -> None:
    for step in steps:
        step.instance.close()
    shutil.rmtree(capture_dir, ignore_errors=True)


def _instantiate(
    module: LoadedModule, limits: Limits, version: int, capture_dir: Path, index: int
) -> Instance:
    try:
        return Instance(module, limits, version, capture_dir, index)
    except CallFailure as failure:
        raise ModuleRuntimeError(f"{module.name}: module {failure.reason}") from None


def _status_text(status: int, names: dict[int, str]) -> str:
    name = names.get(status, "unknown")
    return f"returned error status {status} ({name})"


def _params_text(params: dict[str, str]) -> str:
    if not params:
        return "(none)"
    return ", ".join(f"{key}={value}" for key, value in sorted(params.items()))


def _run_init(step: _Step) -> None:
    if not step.instance.has_init:
        return
    payload = abi.encode_init_input(step.config.params, step.version)
    try:
        reply = step.instance.call_init(payload)
    except CallFailure as failure:
        hint = f"module {failure.reason}"
    else:
        if reply.status >= 0:
            return
        hint = _init_hint(reply.status, reply.output)
    raise ModuleRuntimeError(
        f"init of {step.name} failed: {hint}\n"
        f"params given: {_params_text(step.config.params)}"
    )


def _init_hint(status: int, data: bytes | None) -> str:
    if status == abi.INIT_ERROR_STATUS and data is not None:
        try:
            return abi.decode_init_hint(data)
        except DecodeError as error:
            return f"its error could not be decoded ({error})"
    return f"module {_status_text(status, abi.INIT_STATUS_NAMES)}"


def _run_look_back(step: _Step, source: LookbackSource | None) -> None:
    lookback = step.config.lookback
    if not step.instance.has_look_back or lookback is None or source is None:
        return
    history = source(step.index, lookback)
    if history is None:
        return

    payload = abi.encode_input(history, 0, 0, step.version)
    try:
        reply = step.instance.call_look_back(payload)
    except CallFailure as failure:
        detail = f"module {failure.reason}"
    else:
        if reply.status >= 0:
            return
        detail = _look_back_detail(reply.status, reply.output)
    raise ModuleRuntimeError(
        f"SmartModule look_back error: {detail}\n    Module: {step.name}"
    )


def _look_back_detail(status: int, data: bytes | None) -> str:
    if status == abi.LOOK_BACK_ERROR_STATUS and data is not None:
        try:
            return abi.decode_lookback_error(data).render()
        except DecodeError as error:
            return f"its error could not be decoded ({error})"
    return f"module {_status_text(status, abi.LOOK_BACK_STATUS_NAMES)}"
