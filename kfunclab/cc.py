"""Compile BPF C with clang, against a ``vmlinux.h`` written from the BTF in use.

``compile_file("prog.bpf.c")`` runs ``clang -target bpf -O2 -g -mcpu=v3 -D__TARGET_ARCH_x86``
(as libbpf-based builds do) with two include directories: a cache directory holding the
``vmlinux.h`` kfunclab writes from the BTF (:mod:`kfunclab.btf.cheader`; cached by the BTF's
checksum, so it is written once per kernel), and the system's libbpf headers
(``<bpf/bpf_helpers.h>``, Debian package libbpf-dev; never bundled with kfunclab).

clang is ``$CLANG`` when set, else the first of ``clang``, ``clang-21`` ... ``clang-14`` on
PATH. A compile error is a :class:`CompileError` naming clang's file:line:col.

>>> obj = compile_text('#include "vmlinux.h"\\n...')  # doctest: +SKIP
>>> obj.path.suffix, obj.data[:4]  # doctest: +SKIP
('.o', b'\\x7fELF')
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kfunclab.btf import Btf, load_btf
from kfunclab.errors import KfunclabError, ParseError

#: Bumped when the header writer's output changes, so cached headers are rewritten.
HEADER_FORMAT = 1
CLANG_NAMES = ("clang", *(f"clang-{v}" for v in range(21, 13, -1)))
LIBBPF_DIRS = (Path("/usr/include"), Path("/usr/local/include"))
_ARCH = {"x86_64": "x86", "aarch64": "arm64", "s390x": "s390", "ppc64le": "powerpc",
         "riscv64": "riscv", "loongarch64": "loongarch", "armv7l": "arm"}
_DIAG = re.compile(r"^(?P<file>[^\n:]+):(?P<line>\d+):(?P<col>\d+): "
                   r"(?P<sev>fatal error|error|warning|note): (?P<msg>.*)$", re.MULTILINE)
COMPILE_TIMEOUT = 300


class ToolError(KfunclabError):
    """clang or the libbpf headers are missing."""


class CompileError(ParseError):
    """clang refused the C: the first error's file:line:col and message; ``log`` is clang's
    whole output.

    >>> str(CompileError("p.bpf.c", 3, 9, "use of undeclared identifier 'x'", ""))
    "p.bpf.c:3:9: error: use of undeclared identifier 'x'"
    """

    def __init__(self, file: str, line: int, col: int, message: str, log: str) -> None:
        super().__init__(file, line, col, message)
        self.log = log


@dataclass(frozen=True)
class CompiledObject:
    """A compiled BPF object: where it is, its bytes, and what made it."""

    path: Path
    data: bytes
    source: str
    command: tuple[str, ...]
    seconds: float
    header_seconds: float = 0.0  # time spent writing vmlinux.h (0 when it was cached)


def find_clang() -> str:
    """The clang to use: ``$CLANG``, else the first clang on PATH; :class:`ToolError` if none."""
    env = os.environ.get("CLANG")
    if env:
        found = shutil.which(env)
        if found is None:
            raise ToolError(f"CLANG={env} is not an executable; set CLANG to a clang binary")
        return found
    for name in CLANG_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ToolError("clang not found: install clang (Debian: apt-get install clang) or set "
                    "CLANG")


def libbpf_include() -> Path:
    """The directory holding ``bpf/bpf_helpers.h``; :class:`ToolError` naming libbpf-dev if
    none does."""
    for base in LIBBPF_DIRS:
        if (base / "bpf" / "bpf_helpers.h").is_file():
            return base
    raise ToolError("libbpf headers not found (bpf/bpf_helpers.h in "
                    f"{', '.join(map(str, LIBBPF_DIRS))}): install libbpf-dev (Debian: "
                    "apt-get install libbpf-dev)")


def cache_dir() -> Path:
    """``$KFUNCLAB_CACHE``, else ``$XDG_CACHE_HOME/kfunclab`` (``~/.cache/kfunclab``)."""
    env = os.environ.get("KFUNCLAB_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "kfunclab"


def btf_checksum(btf: Btf) -> str:
    """A short SHA-256 of the BTF's types, strings and stubs (what the header depends on)."""
    h = hashlib.sha256()
    h.update(btf.raw.words.tobytes())
    h.update(btf.raw.strings)
    h.update(",".join(map(str, sorted(btf.stubs))).encode())
    h.update(f"header-format-{HEADER_FORMAT}".encode())
    return h.hexdigest()[:20]


def vmlinux_header_dir(btf: Btf | str = "auto") -> tuple[Path, float]:
    """The cache directory holding ``vmlinux.h`` for ``btf`` (written now if missing), and the
    seconds spent writing it (0.0 when cached)."""
    from kfunclab.btf.cheader import write_header

    kernel = load_btf(btf) if isinstance(btf, str) else btf
    directory = cache_dir() / "vmlinux" / btf_checksum(kernel)
    header = directory / "vmlinux.h"
    if header.is_file():
        return directory, 0.0
    start = time.perf_counter()
    text = write_header(kernel)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(f"/* written by kfunclab from the {kernel.origin} */\n")
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, header)  # atomic: a concurrent compile sees the old or the whole file
    return directory, time.perf_counter() - start


def target_arch() -> str:
    """The ``__TARGET_ARCH_*`` suffix for this machine (bpf_tracing.h's PT_REGS macros)."""
    return _ARCH.get(os.uname().machine, "x86")


def compile_command(clang: str, source: Path, output: Path, includes: list[Path]) -> list[str]:
    cmd = [clang, "-target", "bpf", "-O2", "-g", "-mcpu=v3", f"-D__TARGET_ARCH_{target_arch()}",
           "-fno-color-diagnostics", "-Wno-unused-command-line-argument"]
    for inc in includes:
        cmd += ["-I", str(inc)]
    return [*cmd, "-c", str(source), "-o", str(output)]


def compile_file(source: str | Path, output: str | Path | None = None,
                 btf: Btf | str = "auto", display_name: str | None = None) -> CompiledObject:
    """Compile the BPF C file ``source`` to ``output`` (default: beside it, ``.o``).

    Raises :class:`ToolError` when clang or libbpf-dev is missing, :class:`CompileError` with
    clang's first error (its file:line:col) when the C does not compile.
    """
    src = Path(source)
    if not src.is_file():
        raise ToolError(f"{source}: no such file")
    out = Path(output) if output is not None else src.with_suffix(".o")
    clang = find_clang()
    includes = [src.resolve().parent]
    header_dir, header_seconds = vmlinux_header_dir(btf)
    includes.append(header_dir)
    libbpf = libbpf_include()
    if libbpf != Path("/usr/include"):
        includes.append(libbpf)
    cmd = compile_command(clang, src, out, includes)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{source}: clang took more than {COMPILE_TIMEOUT} s") from None
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise compile_error(proc.stderr, str(src), display_name)
    return CompiledObject(out, out.read_bytes(), str(src), tuple(cmd), seconds, header_seconds)


def compile_text(text: str, name: str = "cell.bpf.c", btf: Btf | str = "auto") -> CompiledObject:
    """Compile C text; the object is cached by the text, the header and clang.

    Diagnostics name the source ``name`` (line 1 is the text's first line).
    """
    clang = find_clang()
    header_dir, _ = vmlinux_header_dir(btf)
    key = hashlib.sha256("\0".join((text, str(header_dir), clang, target_arch())).encode())
    directory = cache_dir() / "objects"
    directory.mkdir(parents=True, exist_ok=True)
    stem = Path(name).name.removesuffix(".c").removesuffix(".bpf") or "cell"
    obj = directory / f"{stem}-{key.hexdigest()[:16]}.bpf.o"
    if obj.is_file():
        return CompiledObject(obj, obj.read_bytes(), name, (), 0.0)
    with tempfile.TemporaryDirectory(prefix="kfunclab-cc-") as tmp:
        src = Path(tmp) / f"{stem}.bpf.c"
        src.write_text(text)
        result = compile_file(src, Path(tmp) / "out.o", btf, display_name=name)
        os.replace(result.path, obj)
    return CompiledObject(obj, result.data, name, result.command, result.seconds,
                          result.header_seconds)


def compile_error(stderr: str, source: str, display_name: str | None = None) -> CompileError:
    """The first ``error:`` of clang's output as a :class:`CompileError` (the whole output in
    its ``log``); paths of ``source`` are shown as ``display_name``."""
    log = stderr if display_name is None else stderr.replace(source, display_name)
    for m in _DIAG.finditer(log):
        if m["sev"] in ("error", "fatal error"):
            return CompileError(m["file"], int(m["line"]), int(m["col"]), m["msg"], log)
    last = log.strip().splitlines()[-1] if log.strip() else "clang failed without a message"
    return CompileError(display_name or source, 1, 1, last, log)
