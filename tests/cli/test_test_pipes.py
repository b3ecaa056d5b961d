"""`smartbench test` output piped into a reader that stops early ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_output_piped_into_head_ends_quietly(
    wat_modules: dict[str, Path], tmp_path: Path, workspace: Path
) -> None:
    data = tmp_path / "many.txt"
    data.write_bytes(b"a fairly ordinary line of input\n" * 200_000)
    command = [
        sys.executable,
        "-m",
        "workbench",
        "test",
        "--wasm-file",
        str(wat_modules["uppercase"]),
        "--file",
        str(data),
    ]
    environment = {**os.environ, "SMARTBENCH_HOME": str(workspace)}

    producer = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
        env=environment,
    )
    assert producer.stdout is not None and producer.stderr is not None
    head = subprocess.run(
        ["head", "-n", "1"], stdin=producer.stdout, capture_output=True, check=True
    )
    producer.stdout.close()
    stderr = producer.stderr.read()
    exit_code = producer.wait(timeout=120)

    assert head.stdout == b"A FAIRLY ORDINARY LINE OF INPUT\n"
    assert stderr == b""
    assert exit_code == 0
