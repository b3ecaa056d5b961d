"""A workspace: the folder holding a broker database and registered modules.

The first command that opens a new workspace fills it with the sample topics and
registers the sample modules listed in ``sample_topics/topics.toml``, all in one
transaction and only once, even when several processes open it at the same moment.
``SMARTBENCH_NO_SAMPLES=1`` skips that (the tests set it).
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench import config
from workbench.engine.broker import DEFAULT_MAX_RECORD_SIZE, Broker, now_ms
from workbench.engine.manifest import (
    Manifest,
    ModuleSpec,
    TopicRecords,
    TopicSpec,
    read_manifest,
    topic_records,
)
from workbench.engine.registry import Registry, find_package_file, read_package
from workbench.engine.units import parse_size
from workbench.errors import SmartbenchError, UsageError

if TYPE_CHECKING:
    from workbench.engine.module import LoadedModule

log = logging.getLogger(__name__)

SAMPLES_MANIFEST = Path(__file__).resolve().parent.parent / "sample_topics"
NO_SAMPLES_VARIABLE = "SMARTBENCH_NO_SAMPLES"
SAMPLES_FLAG = "samples_loaded"


@dataclass
class LoadReport:
    """What loading a manifest did, for the command to print."""

    created_topics: list[tuple[str, int]] = field(default_factory=list)
    """``(name, records)`` of each topic created."""
    existing_topics: list[str] = field(default_factory=list)
    registered_modules: list[str] = field(default_factory=list)
    existing_modules: list[str] = field(default_factory=list)
    failed_modules: list[tuple[str, str]] = field(default_factory=list)
    """``(name, reason)`` of modules that could not be registered."""


class Workspace:
    """An open workspace: its folder, broker and SmartModule registry."""

    def __init__(self, path: Path, broker: Broker) -> None:
        self.path = path
        self.broker = broker
        self._registry: Registry | None = None

    @classmethod
    def open(
        cls,
        path: str | Path,
        max_record_size: int = DEFAULT_MAX_RECORD_SIZE,
        samples: bool | None = None,
    ) -> Workspace:
        """Open (creating if needed) the workspace at ``path``.

        Args:
            path: The workspace folder.
            max_record_size: Largest record the broker accepts.
            samples: Load the sample topics into a new workspace; None follows
                ``SMARTBENCH_NO_SAMPLES``.
        """
        folder = Path(path).expanduser()
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"workspace {folder} is a file, not a folder")
        workspace = cls(folder, Broker.open(folder, max_record_size))
        if samples is None:
            samples = os.environ.get(NO_SAMPLES_VARIABLE, "") in ("", "0")
        if samples:
            workspace.ensure_samples()
        return workspace

    @property
    def registry(self) -> Registry:
        """The SmartModule registry, sharing the broker's database connection."""
        if self._registry is None:
            self._registry = Registry(self.broker.connection, self.path)
        return self._registry

    def close(self) -> None:
        """Close the database connection."""
        self.broker.close()

    def ensure_samples(self, location: Path = SAMPLES_MANIFEST) -> None:
        """Load the sample manifest once per workspace; a failure is only logged."""
        if self._flag(SAMPLES_FLAG) or not (location / "topics.toml").is_file():
            return
        try:
            manifest = read_manifest(location)
            self.load_manifest(manifest, once_flag=SAMPLES_FLAG)
        except SmartbenchError as error:
            log.warning("sample topics not loaded: %s", error.message)

    def load_manifest(
        self, manifest: Manifest, once_flag: str | None = None
    ) -> LoadReport:
        """Create a manifest's topics and register its modules in one transaction.

        Existing topics and modules are left alone and listed in the report. With
        ``once_flag``, nothing happens if that flag is already set, and it is set
        in the same transaction, so concurrent callers load the manifest once.
        """
        # Parse and validate outside the transaction: it is the slow part, and
        # other processes keep writing meanwhile.
        stamp = now_ms()
        topics = [(spec, topic_records(spec, stamp)) for spec in manifest.topics]
        modules, report = self._prepare_modules(manifest.modules)

        registry = self.registry
        with self.broker.transaction():
            if once_flag is not None and self._flag(once_flag):
                return LoadReport()
            for topic_spec, records in topics:
                self._create_topic(topic_spec, records, report)
            for module_spec, loaded in modules:
                self._register(registry, module_spec, loaded, report)
            if once_flag is not None:
                self._set_flag(once_flag)
        return report

    @staticmethod
    def _prepare_modules(
        specs: tuple[ModuleSpec, ...],
    ) -> tuple[list[tuple[ModuleSpec, LoadedModule]], LoadReport]:
        report = LoadReport()
        prepared: list[tuple[ModuleSpec, LoadedModule]] = []
        for spec in specs:
            try:
                from workbench.engine.module import load_module

                prepared.append((spec, load_module(spec.file, name=spec.name)))
            except (SmartbenchError, ImportError) as error:
                reason = getattr(error, "message", str(error))
                report.failed_modules.append((spec.name, reason))
        return prepared, report

    @staticmethod
    def _register(
        registry: Registry,
        spec: ModuleSpec,
        loaded: LoadedModule,
        report: LoadReport,
    ) -> None:
        if registry.exists(spec.name):
            report.existing_modules.append(spec.name)
            return
        package_file = find_package_file(spec.file)
        package = read_package(package_file) if package_file else None
        registry.store(loaded, spec.file, package, False, spec.description)
        report.registered_modules.append(spec.name)

    def _create_topic(
        self, spec: TopicSpec, records: TopicRecords, report: LoadReport
    ) -> None:
        if self.broker.topic_exists(spec.name):
            report.existing_topics.append(spec.name)
            return
        self.broker.create_topic(spec.name, 1)
        self.broker.produce(
            spec.name,
            records.values,
            records.keys if any(k is not None for k in records.keys) else None,
            records.timestamps,
        )
        report.created_topics.append((spec.name, len(records.values)))

    def will_have_module(self, name: str, samples: bool) -> bool:
        """True when ``name`` is registered, or is a sample that loading will add."""
        if self.registry.exists(name):
            return True
        if not samples or self._flag(SAMPLES_FLAG):
            return False
        try:
            manifest = read_manifest(SAMPLES_MANIFEST)
        except SmartbenchError:
            return False
        return name in {module.name for module in manifest.modules}

    def _flag(self, key: str) -> bool:
        row = self.broker.connection.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)
        ).fetchone()
        return row is not None

    def _set_flag(self, key: str) -> None:
        self.broker.connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, '1')", (key,)
        )


def workspace_dir(args: argparse.Namespace) -> Path:
    """The workspace folder a command's arguments point to."""
    return config.workspace_dir(getattr(args, "workspace", None))


def open_workspace(args: argparse.Namespace) -> Workspace:
    """Open the workspace a command's arguments point to."""
    return Workspace.open(workspace_dir(args), max_record_size(args))


def max_record_size(args: argparse.Namespace) -> int:
    """``--max-record-size`` in bytes (plain or like ``16MiB``), or the default."""
    text = getattr(args, "max_record_size", None)
    if text is None:
        return DEFAULT_MAX_RECORD_SIZE
    try:
        size = parse_size(str(text))
    except ValueError as error:
        raise UsageError(f"--max-record-size: {error}") from None
    if size < 1:
        raise UsageError("--max-record-size must be at least 1 byte")
    return size
