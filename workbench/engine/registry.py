"""Named SmartModules of a workspace, usable wherever a ``.wasm`` path is.

``create`` validates a module with the engine before anything is stored (an empty
or non-wasm file is refused), then keeps a **copy** of its bytes, so rebuilding or
deleting the source never changes what a name runs. Copies live in the workspace's
``modules/`` folder under their SHA-256, written atomically; their metadata sits in
the workspace database beside the topics. A ``SmartModule.toml`` found beside the
file or in a folder above it (where ``smdk generate`` puts it) is recorded too, so
``describe`` can list the parameters the module declares.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.engine.broker import (
    connect,
    ensure_tables,
    now_ms,
    valid_name,
    write_transaction,
)
from workbench.errors import ModuleLoadError, NotFoundError, SmartbenchError, UsageError

if TYPE_CHECKING:
    from workbench.engine.module import LoadedModule

MODULES_FOLDER = "modules"
PACKAGE_FILE = "SmartModule.toml"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS smartmodules (
    name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    exports TEXT NOT NULL,
    has_init INTEGER NOT NULL,
    has_look_back INTEGER NOT NULL,
    source TEXT,
    package TEXT,
    description TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL
)
"""


class ModuleExistsError(SmartbenchError):
    """A SmartModule of that name is registered and ``replace`` was not asked for."""

    title = "SmartModule exists"


@dataclass(frozen=True)
class ModuleParam:
    """A parameter declared in ``SmartModule.toml`` (``[[params]]``)."""

    name: str
    description: str = ""
    optional: bool = False


@dataclass(frozen=True)
class PackageInfo:
    """The parts of a ``SmartModule.toml`` that `describe` and completion use."""

    path: str
    name: str = ""
    group: str = ""
    version: str = ""
    description: str = ""
    params: tuple[ModuleParam, ...] = ()


@dataclass(frozen=True)
class RegisteredModule:
    """A registered SmartModule as `list` and `describe` show it."""

    name: str
    path: Path
    """The stored copy the name runs."""
    sha256: str
    size: int
    kind: str
    exports: tuple[str, ...]
    has_init: bool
    has_look_back: bool
    source: str | None
    """The file it was created from, when known."""
    package: PackageInfo | None
    description: str
    created_ms: int


def module_source(workspace: Path, name: str) -> Path | None:
    """The stored copy of a registered module, or None when the name is unknown."""
    registry = Registry.open(workspace)
    try:
        return registry.path(name) if registry.exists(name) else None
    finally:
        registry.close()


def find_package_file(wasm_path: Path) -> Path | None:
    """The nearest ``SmartModule.toml`` beside ``wasm_path`` or in a folder above."""
    for folder in wasm_path.resolve().parents:
        candidate = folder / PACKAGE_FILE
        if candidate.is_file():
            return candidate
    return None


def read_package(path: Path) -> PackageInfo:
    """Read a ``SmartModule.toml``; an unreadable one is reported, not fatal."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path}: cannot read SmartModule.toml: {error}") from error
    package = document.get("package", {})
    params = tuple(
        ModuleParam(
            name=str(item.get("name", "")),
            description=str(item.get("description", "")),
            optional=bool(item.get("optional", False)),
        )
        for item in document.get("params", [])
        if isinstance(item, dict)
    )
    return PackageInfo(
        path=str(path),
        name=str(package.get("name", "")),
        group=str(package.get("group", "")),
        version=str(package.get("version", "")),
        description=str(package.get("description", "")),
        params=params,
    )


def check_module_name(name: str) -> None:
    """Raise :class:`UsageError` unless ``name`` can name a SmartModule."""
    if len(name) > 63:
        raise UsageError("Name exceeds max characters allowed 63")
    if not valid_name(name):
        raise UsageError(
            f"Invalid name for SmartModule {name}, Contain only lowercase "
            "alphanumeric characters or '-'"
        )


class Registry:
    """The SmartModule registry of one workspace."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        workspace: Path,
        owns_connection: bool = False,
    ) -> None:
        self.connection = connection
        self.workspace = workspace
        self.modules_dir = workspace / MODULES_FOLDER
        self._owns_connection = owns_connection
        ensure_tables(connection, _SCHEMA, "smartmodules")

    @classmethod
    def open(cls, workspace: str | Path) -> Registry:
        """Open the registry of a workspace directory with its own connection."""
        directory = Path(workspace)
        return cls(connect(directory), directory, owns_connection=True)

    def close(self) -> None:
        """Close the connection, unless it is borrowed (e.g. from a Workspace)."""
        if self._owns_connection:
            self.connection.close()

    # --- changing ------------------------------------------------------------------

    def create(
        self,
        name: str,
        wasm_path: str | Path,
        replace: bool = False,
        description: str = "",
    ) -> RegisteredModule:
        """Validate ``wasm_path`` and register a copy of it as ``name``.

        Raises:
            UsageError: The name is invalid.
            ModuleLoadError: The file is missing or not a SmartModule.
            ModuleExistsError: The name is taken and ``replace`` is False.
        """
        check_module_name(name)
        source = Path(wasm_path)
        return self._register(_validate(source, name), source, replace, description)

    def create_from_bytes(
        self, name: str, wasm: bytes, source: Path | None, replace: bool = False
    ) -> RegisteredModule:
        """Register ``wasm`` as ``name``, remembering ``source`` as where it came from.

        Promote uses this: it registers the bytes a bench is running, which may
        differ from what the source file holds by now.

        Raises:
            UsageError: The name is invalid.
            ModuleLoadError: The bytes are not a SmartModule.
            ModuleExistsError: The name is taken and ``replace`` is False.
        """
        from workbench.engine.module import load_module

        check_module_name(name)
        return self._register(load_module(wasm, name=name), source, replace, "")

    def _register(
        self,
        loaded: LoadedModule,
        source: Path | None,
        replace: bool,
        description: str,
    ) -> RegisteredModule:
        package_file = find_package_file(source) if source is not None else None
        package = read_package(package_file) if package_file else None

        with write_transaction(self.connection):
            self.store(loaded, source, package, replace, description)
        return self.describe(loaded.info.name)

    def store(
        self,
        loaded: LoadedModule,
        source: Path | None,
        package: PackageInfo | None,
        replace: bool,
        description: str = "",
    ) -> None:
        """Write the copy and the row; the caller holds the write transaction."""
        name = loaded.info.name
        existing = self._row(name)
        if existing is not None and not replace:
            raise ModuleExistsError(
                f'smartmodule "{name}" already exists; use --replace to overwrite it'
            )
        self._write_copy(loaded.info.sha256, loaded.wasm)

        info = loaded.info
        self.connection.execute(
            "INSERT OR REPLACE INTO smartmodules (name, sha256, size, kind, exports, "
            "has_init, has_look_back, source, package, description, created_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                info.sha256,
                info.size,
                info.kind.value,
                json.dumps(list(info.exports)),
                int(info.has_init),
                int(info.has_look_back),
                str(source.resolve()) if source is not None else None,
                _package_json(package),
                description or (package.description if package else ""),
                now_ms(),
            ),
        )
        if existing is not None:
            self._drop_unused_copy(existing["sha256"])

    def delete(self, name: str) -> None:
        """Unregister ``name`` and drop its copy when nothing else uses it.

        Raises:
            NotFoundError: ``SmartModule not found``.
        """
        with write_transaction(self.connection):
            row = self._row(name)
            if row is None:
                raise NotFoundError("SmartModule not found")
            self.connection.execute("DELETE FROM smartmodules WHERE name = ?", (name,))
            self._drop_unused_copy(row["sha256"])

    # --- reading -------------------------------------------------------------------

    def exists(self, name: str) -> bool:
        """True when ``name`` is registered."""
        return self._row(name) is not None

    def list(self) -> list[RegisteredModule]:
        """Every registered module, by name."""
        rows = _query(self.connection, "SELECT * FROM smartmodules ORDER BY name")
        return [self._from_row(row) for row in rows]

    def describe(self, name: str) -> RegisteredModule:
        """Everything known about ``name``.

        Raises:
            NotFoundError: ``SmartModule <name> was not found``.
        """
        row = self._row(name)
        if row is None:
            raise NotFoundError(f"SmartModule {name} was not found")
        return self._from_row(row)

    def path(self, name: str) -> Path:
        """The stored copy that ``name`` runs (raises :class:`NotFoundError`)."""
        return self.describe(name).path

    def load(self, name: str) -> LoadedModule:
        """Load and compile the stored copy of ``name``, named ``name``.

        Raises:
            NotFoundError: ``SmartModule <name> was not found``.
        """
        from workbench.engine.module import load_module

        return load_module(self.path(name), name=name)

    def source_changed(self, name: str) -> bool:
        """True when the source file still exists and differs from the stored copy."""
        module = self.describe(name)
        if module.source is None:
            return False
        try:
            data = Path(module.source).read_bytes()
        except OSError:
            return False
        return _sha256(data) != module.sha256

    def source_missing(self, name: str) -> bool:
        """True when the module was registered from a file that is gone now."""
        module = self.describe(name)
        return module.source is not None and not Path(module.source).is_file()

    # --- helpers -------------------------------------------------------------------

    def _row(self, name: str) -> dict[str, Any] | None:
        rows = _query(
            self.connection, "SELECT * FROM smartmodules WHERE name = ?", (name,)
        )
        return rows[0] if rows else None

    def _copy_path(self, sha256: str) -> Path:
        return self.modules_dir / f"{sha256}.wasm"

    def _write_copy(self, sha256: str, data: bytes) -> None:
        # Copies are named by content, so a copy being read is never rewritten.
        target = self._copy_path(sha256)
        if target.is_file() and target.stat().st_size == len(data):
            return
        self.modules_dir.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)

    def _drop_unused_copy(self, sha256: str) -> None:
        still_used = self.connection.execute(
            "SELECT 1 FROM smartmodules WHERE sha256 = ? LIMIT 1", (sha256,)
        ).fetchone()
        if still_used is None:
            self._copy_path(sha256).unlink(missing_ok=True)

    def _from_row(self, row: dict[str, Any]) -> RegisteredModule:
        return RegisteredModule(
            name=row["name"],
            path=self._copy_path(row["sha256"]),
            sha256=row["sha256"],
            size=row["size"],
            kind=row["kind"],
            exports=tuple(json.loads(row["exports"])),
            has_init=bool(row["has_init"]),
            has_look_back=bool(row["has_look_back"]),
            source=row["source"],
            package=_package_from_json(row["package"]),
            description=row["description"],
            created_ms=row["created_ms"],
        )


def _validate(source: Path, name: str) -> LoadedModule:
    from workbench.engine.module import load_module

    if not source.exists():
        raise ModuleLoadError(f"{source}: no such file")
    return load_module(source, name=name)


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _query(
    connection: sqlite3.Connection, sql: str, parameters: tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    # Rows by column name on this cursor only: the connection is shared.
    cursor = connection.cursor()
    cursor.row_factory = sqlite3.Row
    return [dict(row) for row in cursor.execute(sql, parameters).fetchall()]


def _package_json(package: PackageInfo | None) -> str | None:
    if package is None:
        return None
    document = {
        "path": package.path,
        "name": package.name,
        "group": package.group,
        "version": package.version,
        "description": package.description,
        "params": [
            {"name": p.name, "description": p.description, "optional": p.optional}
            for p in package.params
        ],
    }
    return json.dumps(document)


def _package_from_json(text: str | None) -> PackageInfo | None:
    if not text:
        return None
    document = json.loads(text)
    return PackageInfo(
        path=document["path"],
        name=document["name"],
        group=document["group"],
        version=document["version"],
        description=document["description"],
        params=tuple(ModuleParam(**item) for item in document["params"]),
    )
