"""Handlers of `smartmodule` (alias `sm`): create, list, delete, describe."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from workbench.engine.registry import RegisteredModule, Registry
from workbench.errors import EXIT_OK, EXIT_RUNTIME, SmartbenchError
from workbench.tables import human_size, render_table
from workbench.workspace import open_workspace

SHA_PREFIX = 12


def _registry(args: argparse.Namespace) -> Registry:
    return open_workspace(args).registry


def smartmodule_create(args: argparse.Namespace) -> int:
    """`smartmodule create NAME --wasm-file PATH [--replace]`."""
    _registry(args).create(args.name, args.wasm_file, replace=args.replace)
    print(f'smartmodule "{args.name}" has been created.')
    return EXIT_OK


def smartmodule_list(args: argparse.Namespace) -> int:
    """`smartmodule list`: name and size first, as Fluvio prints them."""
    registry = _registry(args)
    modules = registry.list()
    if not modules:
        print("no smartmodules")
        return EXIT_OK
    rows = [
        (
            module.name,
            human_size(module.size),
            module.kind,
            module.sha256[:SHA_PREFIX],
            module.source or "",
            _source_note(registry, module.name),
        )
        for module in modules
    ]
    header = ("SMARTMODULE", "SIZE", "KIND", "SHA256", "SOURCE", "")
    print(render_table(header, rows, right_aligned=(1,)))
    return EXIT_OK


def smartmodule_delete(args: argparse.Namespace) -> int:
    """`smartmodule delete [-c] NAME...`."""
    registry = _registry(args)
    failed = False
    for name in args.names:
        try:
            registry.delete(name)
        except SmartbenchError as error:
            if not args.continue_on_error:
                raise
            failed = True
            print(
                f'smart module "{name}" delete failed with: {error.message}',
                file=sys.stderr,
            )
            continue
        print(f'smartmodule "{name}" deleted')
    if failed:
        print(
            "Failed deleting smart module(s). Check previous errors.", file=sys.stderr
        )
        return EXIT_RUNTIME
    return EXIT_OK


def smartmodule_describe(args: argparse.Namespace) -> int:
    """`smartmodule describe NAME`."""
    registry = _registry(args)
    module = registry.describe(args.name)
    print(describe_text(module, registry.source_changed(module.name)))
    return EXIT_OK


def _source_note(registry: Registry, name: str) -> str:
    if registry.source_changed(name):
        return "source changed"
    if registry.source_missing(name):
        return "source missing"
    return ""


def describe_text(module: RegisteredModule, source_changed: bool) -> str:
    """The `describe` block: one ``label: value`` line per fact."""
    created = datetime.fromtimestamp(module.created_ms / 1000, UTC)
    source = module.source or "unknown"
    if source_changed:
        source += " (source changed since it was registered)"
    lines = [
        ("name", module.name),
        ("kind", module.kind),
        ("exports", ", ".join(module.exports)),
        ("init", "yes" if module.has_init else "no"),
        ("look_back", "yes" if module.has_look_back else "no"),
        ("size", f"{human_size(module.size)} ({module.size} bytes)"),
        ("sha256", module.sha256),
        ("source", source),
        ("created", created.isoformat(timespec="seconds").replace("+00:00", "Z")),
    ]
    if module.description:
        lines.append(("description", module.description))
    package = module.package
    if package is not None:
        qualified = f"{package.group}/{package.name}@{package.version}"
        lines.append(("package", f"{qualified} ({package.path})"))
    text = "\n".join(f"{label + ':':<12} {value}" for label, value in lines)
    return text + "\n" + _params_text(module)


def _params_text(module: RegisteredModule) -> str:
    params = module.package.params if module.package is not None else ()
    if not params:
        return "params:      none declared"
    rows = ["params:"]
    for param in params:
        optional = " (optional)" if param.optional else ""
        description = f": {param.description}" if param.description else ""
        rows.append(f"  {param.name}{optional}{description}")
    return "\n".join(rows)
