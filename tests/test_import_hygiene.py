"""The headless layers and the CLI path never import the UI toolkits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from tests.cli.wat_modules import module_wat

UI_PACKAGES = ("textual", "prompt_toolkit")
HELP_CODE = (
    "from workbench.cli import main\n"
    "import contextlib, io\n"
    "quiet = contextlib.redirect_stdout(io.StringIO())\n"
    "with contextlib.suppress(SystemExit), quiet:\n"
    "    main(['--help'])"
)


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import workbench.engine",
        "import workbench.engine.records, workbench.engine.types",
        HELP_CODE,
    ],
)
def test_no_ui_toolkit_is_imported(code: str) -> None:
    loaded = _modules_after(code)
    leaked = sorted(m for m in loaded if m.split(".")[0] in UI_PACKAGES)
    assert leaked == []


def test_test_command_does_not_import_ui_toolkits(tmp_path: Path) -> None:
    module = tmp_path / "map.wasm"
    module.write_bytes(bytes(wasmtime.wat2wasm(module_wat("uppercase"))))
    code = (
        "from workbench.cli import main\n"
        f"assert main(['test', '--wasm-file', {str(module)!r}, '--text', 'a']) == 0"
    )
    loaded = _modules_after(code)
    assert "wasmtime" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in UI_PACKAGES) == []


def test_help_does_not_import_wasmtime() -> None:
    assert "wasmtime" not in _modules_after(HELP_CODE)
