"""The watcher, its window and the headless command never import a UI toolkit."""

from __future__ import annotations

import json
import subprocess
import sys

UI_PACKAGES = ("textual", "prompt_toolkit")


def test_watch_code_imports_no_ui_toolkit() -> None:
    probe = (
        "import workbench.engine.watch, workbench.engine.window\n"
        "import workbench.engine.outdiff, workbench.watch_cli\n"
        "import sys, json\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout.splitlines()[-1])

    assert [m for m in loaded if m.split(".")[0] in UI_PACKAGES] == []
