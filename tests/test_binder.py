"""Binder installs kfunclab with ``--no-deps`` (binder/postBuild), so every runtime dependency of
pyproject.toml must be pinned in binder/requirements.txt, or the notebooks fail to import there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()


def test_every_dependency_is_pinned_for_binder() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["lab"]}
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    pinned = {_name(line) for line in lines if line.strip() and not line.startswith("#")}
    assert sorted(needed - pinned) == []
    assert "--no-deps" in (ROOT / "binder" / "postBuild").read_text()
