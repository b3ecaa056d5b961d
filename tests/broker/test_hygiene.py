"""The broker's CLI paths never import the UI toolkits."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = (
    "workbench.broker_cli",
    "workbench.consume_cli",
    "workbench.registry_cli",
    "workbench.workspace",
    "workbench.engine.broker",
    "workbench.engine.registry",
)


def test_broker_cli_modules_import_no_ui_toolkit() -> None:
    probe = (
        f"import {', '.join(MODULES)}\n"
        "import sys, json\n"
        "print(json.dumps(sorted(sys.modules)))"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    loaded = set(json.loads(result.stdout))
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "prompt_toolkit")}
    assert "workbench.engine.broker" in loaded
