"""A bench's chain from a transforms file, ``--transforms-line`` steps, or by hand.

The TUI keeps a chain as :class:`StepSpec` entries (a registered name or an absolute
path, params, an aggregate's initial value), so a session reopens it wherever the app
starts. This module turns the CLI's transforms steps into those, and checks that each
module can be found before a bench changes, so a mistake leaves the bench as it was.
It never imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from workbench.bench import StepSpec
from workbench.engine.transforms import (
    TransformStep,
    load_transforms_file,
    parse_transform_line,
)
from workbench.errors import ModuleLoadError, UsageError
from workbench.module_args import is_path_like

TRANSFORMS_FILE_NAMES = ("transforms.yaml", "transforms.yml")
"""Files the open-transforms form offers when the current directory has one."""

IsRegistered = Callable[[str], bool]
"""Whether a SmartModule of this name is in the workspace's registry."""


ChainSteps = tuple[list[StepSpec], str | None]
"""A chain's steps, and a note on what a bench leaves out of them (or None)."""


def steps_from_file(path: Path) -> ChainSteps:
    """The chain a transforms file lists, paths made absolute from its folder.

    Raises:
        UsageError: the file cannot be read, is not YAML (the message says the
            line), lists no steps, or a step's initial value is not UTF-8.
    """
    path = path.expanduser()
    steps = load_transforms_file(path)
    return _step_specs(steps, path.resolve().parent, f"{path}: ")


def steps_from_lines(lines: Sequence[str], base_dir: Path) -> ChainSteps:
    """The chain ``--transforms-line`` JSON steps give, paths from ``base_dir``.

    Raises:
        UsageError: a line is not a valid step.
    """
    steps = [parse_transform_line(line) for line in lines]
    return _step_specs(steps, base_dir, "")


def step_spec(
    module: str, params: dict[str, str], initial: str | None, base_dir: Path
) -> StepSpec:
    """One step typed by hand: a registered name, or a path from ``base_dir``."""
    return StepSpec(_module_reference(module, base_dir), dict(params), initial)


def check_modules(steps: Sequence[StepSpec], is_registered: IsRegistered) -> None:
    """Fail as the CLI does when a step's file or registered module is missing.

    Raises:
        ModuleLoadError: ``smartmodule NAME not found`` or ``PATH: no such file``.
    """
    for step in steps:
        if step.is_path:
            if not Path(step.module).is_file():
                raise ModuleLoadError(f"{step.module}: no such file")
        elif not is_registered(step.module):
            raise ModuleLoadError(f"smartmodule {step.module} not found")


def _lookback_note(steps: Sequence[TransformStep]) -> str | None:
    """What the TUI leaves out of a chain: ``lookback:`` is not run on benches."""
    ignored = [step.uses for step in steps if step.lookback is not None]
    if not ignored:
        return None
    return f"lookback is not run on a bench; ignored for {', '.join(ignored)}"


def find_transforms_file(directory: Path) -> Path | None:
    """A transforms file in ``directory``, for a form's first suggestion."""
    for name in TRANSFORMS_FILE_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _step_specs(
    steps: Sequence[TransformStep], base_dir: Path, where: str
) -> ChainSteps:
    if not steps:
        raise UsageError(f"{where}the chain lists no steps; add `- uses: MODULE`")
    specs = []
    for number, step in enumerate(steps, 1):
        initial = None
        if step.initial is not None:
            initial = _initial_text(step.initial, f"{where}step {number}")
        module = _module_reference(step.uses, base_dir)
        specs.append(StepSpec(module, dict(step.params), initial))
    return specs, _lookback_note(steps)


def _module_reference(uses: str, base_dir: Path) -> str:
    # Paths are kept absolute so the saved session works from any directory.
    uses = uses.strip()
    if not uses:
        raise UsageError("give a .wasm path or a registered module name")
    if not is_path_like(uses):
        return uses
    path = Path(uses).expanduser()
    return str(path if path.is_absolute() else (base_dir / path).resolve())


def _initial_text(initial: bytes, where: str) -> str:
    # A bench keeps the initial value as text (it is edited in a form).
    try:
        return initial.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            f"{where}: the initial value is not UTF-8 text, which a bench needs"
        ) from None
