"""Bad input anywhere on the command line gets one clear line and the right code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]
FILTER = str(REPO_ROOT / "sample_modules" / "quake-filter.wasm")
NOT_UTF8 = os.fsdecode(b"\xff")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("test", "--wasm-file", FILTER, "--text", "a", "-e", f"min_mag={NOT_UTF8}"),
            "invalid KEY=value: `min_mag=\\xff` is not valid UTF-8",
        ),
        (
            (
                "test",
                "--wasm-file",
                FILTER,
                "--text",
                "a",
                "--base-timestamp",
                "9" * 20,
            ),
            "does not fit a 64-bit millisecond time",
        ),
        (
            ("test", "--wasm-file", FILTER, "--text", "a", "--abi-version", "99999"),
            "--abi-version 99999 is out of range: use 0 to 32767",
        ),
        (
            ("test", "--wasm-file", FILTER, "--text", "a", "--raw"),
            "--raw applies to --file or --stdin, not to --text",
        ),
        (("topic", "create", "big", "-p", "9" * 20), "partitions must be between"),
        (("topic", "delete", "../x"), "Invalid topic name: '../x'"),
        (("consume", "../x", "-B", "-d"), "Invalid topic name: '../x'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, err = _run(capsys, *args)

    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_a_workspace_that_is_a_file_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes"
    notes.write_text("my notes\n")

    code, err = _run(capsys, "--workspace", str(notes), "topic", "list")

    assert code == 2
    assert err.strip() == f"workspace {notes} is a file, not a folder"
    assert notes.read_text() == "my notes\n"


def test_a_workspace_with_a_broken_database_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "smartbench.db").write_bytes(b"garbage, not sqlite" * 10)

    code, err = _run(capsys, "--workspace", str(tmp_path), "topic", "list")

    assert code == 2
    assert err.strip() == f"cannot open workspace {tmp_path}: file is not a database"


def test_a_key_that_is_not_utf8_is_stored_as_its_bytes(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_bytes(b"value\n")
    where = ("--workspace", str(workspace))

    main([*where, "topic", "create", "keys"])
    code = main([*where, "produce", "keys", "-f", str(lines), "--key", NOT_UTF8])
    capsys.readouterr()
    main([*where, "consume", "keys", "-B", "-d", "-O", "jsonl"])

    assert code == 0
    out = capsys.readouterr().out
    assert '"key":{"base64":"/w=="}' in out
    assert '"value":"value"' in out


def test_an_oversized_raw_record_is_reported_with_its_real_size(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\0" * 3_000_000)
    where = ("--workspace", str(workspace))

    main([*where, "topic", "create", "blobs"])
    code = main([*where, "produce", "blobs", "--raw", "-f", str(blob)])
    assert code == 0
    limit = ("--max-record-size", "1000")
    code = main([*where, "produce", "blobs", "--raw", "-f", str(blob), *limit])

    assert code == 1
    assert "record of 3000000 bytes exceeds the maximum record size of 1000" in (
        capsys.readouterr().err
    )


def test_produce_reads_a_named_pipe_and_refuses_a_directory(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    pipe = tmp_path / "lines.fifo"
    os.mkfifo(pipe)
    # Daemon: if produce never opens the pipe, the blocked writer must not hang us.
    writer = threading.Thread(
        target=lambda: pipe.write_bytes(b"one\ntwo\n"), daemon=True
    )
    writer.start()
    where = ("--workspace", str(workspace))

    main([*where, "topic", "create", "piped"])
    code = main([*where, "produce", "piped", "-f", str(pipe)])
    writer.join(timeout=10)
    refused = main([*where, "produce", "piped", "-f", str(tmp_path)])
    capsys.readouterr()
    main([*where, "consume", "piped", "-B", "-d"])

    assert code == 0
    assert capsys.readouterr().out == "one\ntwo\n"
    assert refused == 2
