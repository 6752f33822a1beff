"""Kernel BTF: a pure-Python reader of the raw format and the kernel type model built on it.

:func:`load_btf` gives a :class:`Btf` for the running kernel (``/sys/kernel/btf/vmlinux``), for
the snapshot bundled with kfunclab (works offline, e.g. on Binder), or for any raw BTF file.
Loaded objects are cached per source, so the CLI and notebooks read the file once.

>>> from kfunclab.btf.testing import tiny_btf
>>> btf = tiny_btf()
>>> btf.member_at(btf.struct_id("task_struct"), 8, 8).path
'real_parent'
"""

from __future__ import annotations

import os
from pathlib import Path

from kfunclab.btf.model import Btf, FuncParam, FuncSignature, Resolved
from kfunclab.btf.snapshot import read_snapshot
from kfunclab.btf.tracing import (
    func_args,
    func_params,
    tracepoint_args,
    tracepoint_names,
    tracepoint_params,
)
from kfunclab.btf.types import BtfKind, Member
from kfunclab.btf.walk import Access, MemberAccess
from kfunclab.errors import BtfError

__all__ = [
    "BUNDLED_SNAPSHOT", "LIVE_BTF", "Access", "Btf", "BtfKind", "FuncParam", "FuncSignature",
    "Member", "MemberAccess", "Resolved", "clear_cache", "func_args", "func_params",
    "live_available", "load_btf", "tracepoint_args", "tracepoint_names", "tracepoint_params",
]

LIVE_BTF = Path("/sys/kernel/btf/vmlinux")
BUNDLED_SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "btf-snapshot.btf.gz"

_cache: dict[str, Btf] = {}


def live_available() -> bool:
    """Whether this machine's vmlinux BTF can be read."""
    return LIVE_BTF.is_file() and os.access(LIVE_BTF, os.R_OK)


def _kernel_release() -> str:
    return os.uname().release


def load_btf(source: str = "auto") -> Btf:
    """The kernel BTF from ``source``, loaded once per source.

    Parameters
    ----------
    source:
        ``"live"`` (``/sys/kernel/btf/vmlinux``), ``"bundled"`` (the snapshot shipped with
        kfunclab), a path to a raw BTF file, or ``"auto"``: live where readable, else bundled.

    >>> load_btf("bundled").is_snapshot
    True
    """
    if source == "auto":
        source = "live" if live_available() else "bundled"
    cached = _cache.get(source)
    if cached is not None:
        return cached
    if source == "live":
        if not live_available():
            raise BtfError(f"live BTF {LIVE_BTF} is not readable on this machine; use "
                           f"load_btf('bundled')")
        btf = Btf.from_file(LIVE_BTF, _kernel_release())
        btf.origin = f"live BTF {LIVE_BTF}"
        btf.raw.source = btf.origin
    elif source == "bundled":
        if not BUNDLED_SNAPSHOT.is_file():
            raise BtfError(f"the bundled BTF snapshot {BUNDLED_SNAPSHOT} is missing; create it "
                           f"with scripts/make_btf_snapshot.py")
        btf = read_snapshot(BUNDLED_SNAPSHOT)
    else:
        path = Path(source)
        btf = read_snapshot(path) if path.name.endswith(".btf.gz") else Btf.from_file(path)
    _cache[source] = btf
    return btf


def clear_cache() -> None:
    """Forget loaded BTF (tests; a kernel update under a long-running notebook)."""
    _cache.clear()
