"""The package reads anywhere: no machine paths, only docs that exist, modules of one reading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kfunclab"
TEXT_SUFFIXES = {".py", ".json", ".h", ".md", ".txt"}
#: absolute paths of the machines the package was written on; a reader has none of them
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home|root|tmp)/[\w.-]")
MAX_LINES = 600


def package_texts() -> list[tuple[str, str]]:
    return [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8"))
            for p in sorted(PACKAGE.rglob("*")) if p.suffix in TEXT_SUFFIXES]


def machine_paths(text: str) -> list[str]:
    """The machine paths quoted in ``text``, e.g. ``/work/shared/docs/x.md``."""
    return [m.group(0) for m in MACHINE_PATH.finditer(text)]


def test_no_machine_path_in_the_package() -> None:
    found = [(path, hit) for path, text in package_texts() for hit in machine_paths(text)]
    assert found == []


@pytest.mark.parametrize(("text", "hits"), [
    ("see /work/shared/docs/kernel-semantics.md", 1),
    ("the way ``/work/shared/tools/kernel-verdict`` does", 1),
    ("cite docs/kernel-notes.md instead", 0),
    ("bpf_core_type_id_kernel(struct X) / 8", 0),
])
def test_the_machine_path_check_sees_them(text: str, hits: int) -> None:
    assert len(machine_paths(text)) == hits


def test_docs_the_package_cites_exist() -> None:
    cited = {m for _, text in package_texts() for m in re.findall(r"docs/[\w.-]+\.md", text)}
    assert cited, "the package cites its docs (docs/kernel-notes.md at least)"
    assert sorted(c for c in cited if not (ROOT / c).is_file()) == []


def test_modules_fit_one_reading() -> None:
    long = {path: text.count("\n") for path, text in package_texts()
            if path.endswith(".py") and text.count("\n") > MAX_LINES}
    assert sorted(long) == []
