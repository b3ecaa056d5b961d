"""Loading and validating SmartModules, with messages that name the file.

Validation follows the order a user can act on: is it wasm at all, which transform
does it export (Fluvio's order), does that export have the right signature, are its
imports ones we provide, and does it export the memory and allocator the host ABI
needs. Optional ``init`` and ``look_back`` exports are type-checked too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import wasmtime

from workbench.engine.runtime import compile_module, sha256_hex
from workbench.engine.types import ModuleInfo, ModuleKind
from workbench.errors import ModuleLoadError

WASM_MAGIC = b"\0asm"
WASI_MODULE = "wasi_snapshot_preview1"
COPY_RECORDS = "copy_records"
TRANSFORM_EXPORTS = tuple(kind.export_name for kind in ModuleKind)

# Every function of WASI preview 1; wasmtime's linker defines all of them.
WASI_PREVIEW1_FUNCTIONS = frozenset(
    (
        "args_get",
        "args_sizes_get",
        "environ_get",
        "environ_sizes_get",
        "clock_res_get",
        "clock_time_get",
        "fd_advise",
        "fd_allocate",
        "fd_close",
        "fd_datasync",
        "fd_fdstat_get",
        "fd_fdstat_set_flags",
        "fd_fdstat_set_rights",
        "fd_filestat_get",
        "fd_filestat_set_size",
        "fd_filestat_set_times",
        "fd_pread",
        "fd_prestat_get",
        "fd_prestat_dir_name",
        "fd_pwrite",
        "fd_read",
        "fd_readdir",
        "fd_renumber",
        "fd_seek",
        "fd_sync",
        "fd_tell",
        "fd_write",
        "path_create_directory",
        "path_filestat_get",
        "path_filestat_set_times",
        "path_link",
        "path_open",
        "path_readlink",
        "path_remove_directory",
        "path_rename",
        "path_symlink",
        "path_unlink_file",
        "poll_oneoff",
        "proc_exit",
        "proc_raise",
        "sched_yield",
        "random_get",
        "sock_accept",
        "sock_recv",
        "sock_send",
        "sock_shutdown",
    )
)

_TRANSFORM_SIGNATURE = "(i32, i32, i32) -> i32"
_ALLOC_SIGNATURE = "(i32) -> i32"
_COPY_RECORDS_SIGNATURE = "(i32, i32) -> ()"


@dataclass(frozen=True, eq=False)
class LoadedModule:
    """A validated, compiled SmartModule, ready to be instantiated by a chain."""

    info: ModuleInfo
    wasm: bytes
    module: wasmtime.Module
    """The compiled module, shared by every chain that uses the same bytes."""
    copy_records_module: str
    """The import module name under which the guest expects ``copy_records``."""

    @property
    def name(self) -> str:
        """The display name used in messages."""
        return self.info.name

    @property
    def kind(self) -> ModuleKind:
        """Which transform the module exports."""
        return self.info.kind


def load_module(source: Path | str | bytes, *, name: str | None = None) -> LoadedModule:
    """Read, validate and compile a SmartModule.

    Args:
        source: A path to a ``.wasm`` file, or the module's bytes.
        name: Display name; defaults to the file name, or ``module`` for bytes.

    Returns:
        The compiled module with what validation learned about it.

    Raises:
        ModuleLoadError: The file is missing, is not WebAssembly, or is not a
            SmartModule this host can run. The message names the file.
    """
    path, data = _read_source(source)
    label = str(path) if path is not None else (name or "module")
    display_name = name or (path.name if path is not None else "module")

    _check_magic(data, label)
    digest = sha256_hex(data)
    compiled = _compile(data, digest, label)

    functions = _exported_functions(compiled)
    kind = _transform_kind(compiled, functions, label)
    _check_signature(functions, kind.export_name, _TRANSFORM_SIGNATURE, label)
    copy_module, imports, uses_wasi = _check_imports(compiled, label)
    _check_memory_and_alloc(compiled, functions, label)

    has_init = _optional_export(functions, "init", label)
    has_look_back = _optional_export(functions, "look_back", label)
    info = ModuleInfo(
        name=display_name,
        path=path,
        kind=kind,
        exports=tuple(export.name for export in compiled.exports),
        imports=imports,
        has_init=has_init,
        has_look_back=has_look_back,
        size=len(data),
        sha256=digest,
        uses_wasi=uses_wasi,
        hints=_hints(functions, kind),
    )
    return LoadedModule(info, data, compiled, copy_module)


def _read_source(source: Path | str | bytes) -> tuple[Path | None, bytes]:
    if isinstance(source, bytes):
        return None, source
    path = Path(source)
    try:
        return path, path.read_bytes()
    except FileNotFoundError:
        raise ModuleLoadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModuleLoadError(f"{path}: is a directory, not a .wasm file") from None
    except OSError as error:
        raise ModuleLoadError(f"{path}: cannot read: {error.strerror}") from None


def _check_magic(data: bytes, label: str) -> None:
    if not data:
        raise ModuleLoadError(f"{label}: file is empty, not a WebAssembly module")
    if data.startswith(WASM_MAGIC):
        return
    if data.lstrip().startswith(b"(module"):
        raise ModuleLoadError(
            f"{label}: is WebAssembly text (WAT), not a binary module; "
            "compile it to .wasm first"
        )
    if _looks_like_text(data):
        start = f"text {data[:16].decode('utf-8')!r}"
    else:
        # Binary junk is shown as hex: replacement characters would tell nothing.
        start = f"bytes {data[:8].hex(' ')}"
    raise ModuleLoadError(
        f"{label}: not a WebAssembly module: it starts with {start} "
        "instead of the \\0asm magic"
    )


def _looks_like_text(data: bytes) -> bool:
    head = data[:256]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(byte >= 0x20 or byte in b"\t\r\n" for byte in head)


def _compile(data: bytes, digest: str, label: str) -> wasmtime.Module:
    try:
        return compile_module(data, digest)
    except wasmtime.WasmtimeError as error:
        cause = last_line(str(error))
        advice = " (the file looks truncated)" if "end-of-file" in cause else ""
        raise ModuleLoadError(
            f"{label}: not a valid WebAssembly module: {cause}{advice}"
        ) from None


def last_line(message: str) -> str:
    """The readable cause at the end of a wasmtime error or trap message."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else message


def _exported_functions(compiled: wasmtime.Module) -> dict[str, wasmtime.FuncType]:
    return {
        export.name: export.type
        for export in compiled.exports
        if isinstance(export.type, wasmtime.FuncType)
    }


def _transform_kind(
    compiled: wasmtime.Module, functions: dict[str, wasmtime.FuncType], label: str
) -> ModuleKind:
    # The first name that exists wins even if it is not a function, as in Fluvio.
    export_names = {export.name for export in compiled.exports}
    for kind in ModuleKind:
        if kind.export_name in export_names:
            if kind.export_name not in functions:
                raise ModuleLoadError(
                    f"{label}: export `{kind.export_name}` is not a function"
                )
            return kind

    found = ", ".join(f"`{export.name}`" for export in compiled.exports) or "none"
    expected = ", ".join(f"`{name}`" for name in TRANSFORM_EXPORTS)
    raise ModuleLoadError(
        f"{label}: no SmartModule transform exported.\n"
        f"  exports found: {found}\n"
        f"  expected one of: {expected}\n"
        "  Is the transform function annotated with #[smartmodule(filter)] "
        "(or map, filter_map, array_map, aggregate)?"
    )


def signature_text(func_type: wasmtime.FuncType) -> str:
    """A wasm function type as ``(i32, i32) -> i32``."""
    params = ", ".join(str(param) for param in func_type.params)
    results = ", ".join(str(result) for result in func_type.results)
    return f"({params}) -> {results or '()'}"


def _check_signature(
    functions: dict[str, wasmtime.FuncType], export: str, expected: str, label: str
) -> None:
    actual = signature_text(functions[export])
    if actual == expected:
        return
    legacy = (
        " (the two-argument form of SmartModules built before Fluvio 0.10)"
        if actual == "(i32, i32) -> i32"
        else ""
    )
    raise ModuleLoadError(
        f"{label}: export `{export}` has signature {actual}{legacy}; "
        f"expected {expected}"
    )


def _check_imports(
    compiled: wasmtime.Module, label: str
) -> tuple[str, tuple[str, ...], bool]:
    copy_module: str | None = None
    uses_wasi = False
    unsupported = []
    for item in compiled.imports:
        field = item.name or ""
        if field == COPY_RECORDS and copy_module is None:
            _check_copy_records(item, label)
            copy_module = item.module
        elif item.module == WASI_MODULE and field in WASI_PREVIEW1_FUNCTIONS:
            uses_wasi = True
        else:
            unsupported.append(f"`{item.module}.{field}`")

    if unsupported:
        raise ModuleLoadError(
            f"{label}: imports {', '.join(unsupported)}, which the host does not "
            f"provide; a SmartModule may import only `{COPY_RECORDS}` and "
            "WASI preview 1 functions"
        )
    if copy_module is None:
        raise ModuleLoadError(
            f"{label}: does not import `{COPY_RECORDS}`, the function a "
            "SmartModule sends its output through"
        )
    names = tuple(f"{item.module}.{item.name}" for item in compiled.imports)
    return copy_module, names, uses_wasi


def _check_copy_records(item: wasmtime.ImportType, label: str) -> None:
    if not isinstance(item.type, wasmtime.FuncType):
        raise ModuleLoadError(f"{label}: import `{COPY_RECORDS}` is not a function")
    actual = signature_text(item.type)
    if actual != _COPY_RECORDS_SIGNATURE:
        raise ModuleLoadError(
            f"{label}: import `{COPY_RECORDS}` has signature {actual}; "
            f"expected {_COPY_RECORDS_SIGNATURE}"
        )


def _check_memory_and_alloc(
    compiled: wasmtime.Module, functions: dict[str, wasmtime.FuncType], label: str
) -> None:
    memories = [
        export.name
        for export in compiled.exports
        if isinstance(export.type, wasmtime.MemoryType)
    ]
    if "memory" not in memories:
        found = f" (it exports memory as `{memories[0]}`)" if memories else ""
        raise ModuleLoadError(
            f"{label}: does not export its linear memory as `memory`{found}"
        )
    if "alloc" not in functions:
        raise ModuleLoadError(
            f"{label}: does not export `alloc`, which the host needs to pass "
            "input into the module"
        )
    _check_signature(functions, "alloc", _ALLOC_SIGNATURE, label)


def _optional_export(
    functions: dict[str, wasmtime.FuncType], export: str, label: str
) -> bool:
    if export not in functions:
        return False
    _check_signature(functions, export, _TRANSFORM_SIGNATURE, label)
    return True


def _hints(
    functions: dict[str, wasmtime.FuncType], kind: ModuleKind
) -> tuple[str, ...]:
    ignored = [
        name
        for name in TRANSFORM_EXPORTS
        if name in functions and name != kind.export_name
    ]
    if not ignored:
        return ()
    names = ", ".join(f"`{name}`" for name in ignored)
    return (
        f"also exports {names}, ignored: the first of "
        f"{', '.join(TRANSFORM_EXPORTS)} found is the transform",
    )
