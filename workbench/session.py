"""The app's saved session: open benches, theme, and watch builds per module path.

Kept as JSON in the workspace so the next `smartbench` reopens where the last one
stopped. A broken file is set aside, never fatal.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.bench import BenchSpec

log = logging.getLogger(__name__)

SESSION_FILE = "tui-session.json"


@dataclass
class Session:
    """What the app restores on start."""

    benches: list[BenchSpec] = field(default_factory=list)
    active: int = 0
    """Index of the bench whose tab was selected."""
    theme: str = "textual-dark"
    watch_builds: dict[str, dict[str, str]] = field(default_factory=dict)
    """Module path → ``{"build": command, "src": directory}`` from the watch dialog."""
    opened_paths: list[str] = field(default_factory=list)
    """Ad-hoc modules opened from a path, listed in the sidebar."""
    existed: bool = False
    """True when the session came from a file (not the first run)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "benches": [spec.to_json() for spec in self.benches],
            "active": self.active,
            "theme": self.theme,
            "watch_builds": self.watch_builds,
            "opened_paths": self.opened_paths,
        }


def session_path(workspace: Path) -> Path:
    """Where the session of ``workspace`` is saved."""
    return workspace / SESSION_FILE


def load_session(workspace: Path) -> Session:
    """The saved session, or a fresh one when none (or a broken one) exists."""
    path = session_path(workspace)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Session()
    except (OSError, ValueError):
        log.exception("session file %s is unreadable; starting fresh", path)
        _set_aside(path)
        return Session(existed=True)
    return _session_from(data)


def _session_from(data: Any) -> Session:
    session = Session(existed=True)
    if not isinstance(data, dict):
        return session
    for item in data.get("benches") or []:
        try:
            session.benches.append(BenchSpec.from_json(item))
        except (KeyError, TypeError, ValueError):
            log.warning("skipping a broken bench in the session: %r", item)
    session.active = int(data.get("active") or 0)
    session.theme = str(data.get("theme") or session.theme)
    session.watch_builds = dict(data.get("watch_builds") or {})
    session.opened_paths = [str(p) for p in data.get("opened_paths") or []]
    return session


def _set_aside(path: Path) -> None:
    try:
        os.replace(path, path.with_suffix(".broken.json"))
    except OSError:
        log.exception("cannot move %s aside", path)


def save_session(workspace: Path, session: Session) -> None:
    """Write the session atomically (a crash never leaves half a file)."""
    path = session_path(workspace)
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(json.dumps(session.to_json(), indent=2), "utf-8")
        os.replace(temporary, path)
    except OSError:
        log.exception("cannot save the session to %s", path)
