"""The bundled BTF snapshot: a subset of a kernel's vmlinux BTF that keeps its type ids.

Programs name kernel type ids (``bpf_rdonly_cast(obj, 114)``) and field offsets, so a snapshot
that renumbered types would lie. The snapshot is therefore itself a raw BTF blob with one record
per type id of the source kernel:

- a type it keeps is copied record for record (names re-pointed into a smaller string table);
- optionally (when the closure of what is kept explodes), a struct or union reached only through
  pointers is a *stub*: its STRUCT/UNION header (name, size) without members, listed in the
  metadata so that :meth:`~kfunclab.btf.model.Btf.type_by_id` refuses to pretend it has none;
- every other id is a 12-byte kind-0 placeholder ("hole"), which gzip squeezes to almost nothing.

The file is gzip of ``b"KFLBTFS1"``, a little-endian u32 length, that many bytes of JSON metadata
(kernel release, stub ids, what was kept) and the blob. The same reader serves live and bundled
data, so the snapshot answers exactly like the kernel for every type it holds.

>>> from kfunclab.btf.testing import tiny_btf
>>> btf = tiny_btf()
>>> keep = closure(btf, roots=[btf.lookup("bpf_task_acquire", "FUNC")])
>>> sorted(keep.items())
[(1, True), (2, True), (3, True), (4, True), (5, True), (6, True), (7, True)]
>>> sorted(closure(btf, [7], stub_structs_behind_pointers=True).items())
[(3, False), (4, True), (5, True), (6, True), (7, True)]
"""

from __future__ import annotations

import gzip
import json
import struct
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kfunclab.btf.model import Btf
from kfunclab.btf.reader import NAMED_ENTRIES, RawBtf, record_words
from kfunclab.btf.types import (
    Array,
    BtfKind,
    Composite,
    DeclTag,
    Func,
    FuncProto,
    Modifier,
    Ptr,
    Var,
)
from kfunclab.errors import BtfError

MAGIC = b"KFLBTFS1"
_MODIFIERS = frozenset({BtfKind.TYPEDEF, BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT,
                        BtfKind.TYPE_TAG})
FORMAT_VERSION = 1


def references(btf: Btf, type_id: int) -> list[tuple[int, bool]]:
    """The type ids a record refers to, each with "through a pointer?"."""
    t = btf.raw.decode(type_id)
    match t:
        case Ptr():
            return [(t.type, True)]
        case Modifier():
            return [(t.type, False)]
        case Array():
            return [(t.type, False), (t.index_type, False)]
        case Composite():
            return [(m.type, False) for m in t.members]
        case Func() | Var() | DeclTag():
            return [(t.type, False)]
        case FuncProto():
            return [(t.type, False)] + [(p.type, False) for p in t.params]
    return []


def closure(btf: Btf, roots: Iterable[int], stub_structs_behind_pointers: bool = False,
            full_structs: Iterable[int] = ()) -> dict[int, bool]:
    """Which ids a snapshot of ``roots`` needs: id -> True (whole record) / False (stub).

    By default everything reachable from ``roots`` is kept whole, so the snapshot is closed:
    every id a kept record names is itself kept. With ``stub_structs_behind_pointers`` (for
    when that closure is too big) a struct or union reached only through a pointer becomes a
    stub unless it is in ``full_structs``; typedef/const chains behind a pointer stay "behind a
    pointer" until they reach a non-modifier type. DECL_TAGs on kept types come along.
    """
    full_set = set(full_structs)
    keep: dict[int, bool] = {}
    stack = [(r, False) for r in roots] + [(s, False) for s in full_set]
    while stack:
        tid, via_ptr = stack.pop()
        if tid == 0 or keep.get(tid):
            continue
        kind = btf.raw.kind(tid)
        if (stub_structs_behind_pointers and via_ptr and tid not in full_set
                and kind in (BtfKind.STRUCT, BtfKind.UNION)):
            keep.setdefault(tid, False)
            continue
        keep[tid] = True
        for ref, through_ptr in references(btf, tid):
            stack.append((ref, through_ptr or (via_ptr and kind in _MODIFIERS)))
    for tag_id in btf.raw.ids_of_kind(BtfKind.DECL_TAG):
        tag = btf.raw.decode(tag_id)
        if isinstance(tag, DeclTag) and keep.get(tag.type):
            keep[tag_id] = True
    return keep


def build_blob(raw: RawBtf, keep: Mapping[int, bool]) -> bytes:
    """A raw BTF blob with every id of ``raw``: kept records, stubs and holes."""
    strings = bytearray(b"\0")
    new_offsets: dict[int, int] = {0: 0}

    def restring(off: int) -> int:
        new = new_offsets.get(off)
        if new is None:
            new = len(strings)
            strings.extend(raw.string(off).encode() + b"\0")
            new_offsets[off] = new
        return new

    words = raw.words
    out: list[int] = []
    for tid in range(1, len(raw)):
        full = keep.get(tid)
        i = raw.offsets[tid]
        if full is None:
            out += (0, 0, 0)
            continue
        info = words[i + 1]
        if not full:
            out += (restring(words[i]), info & ~0xFFFF, words[i + 2])
            continue
        kind = (info >> 24) & 0x1F
        record = list(words[i:i + record_words(kind, info & 0xFFFF)])
        record[0] = restring(record[0])
        step = NAMED_ENTRIES.get(BtfKind(kind))
        if step:
            for k in range(3, len(record), step):
                record[k] = restring(record[k])
        out += record
    types = struct.pack(f"<{len(out)}I", *out)
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return header + types + bytes(strings)


def write_snapshot(path: str | Path, btf: Btf, keep: Mapping[int, bool],
                   meta: Mapping[str, Any]) -> int:
    """Write the snapshot file; returns its size in bytes."""
    stubs = sorted(tid for tid, full in keep.items() if not full)
    header = dict(meta, format=FORMAT_VERSION, types_total=len(btf.raw),
                  types_full=sum(1 for full in keep.values() if full), stubs=stubs)
    meta_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    payload = MAGIC + struct.pack("<I", len(meta_bytes)) + meta_bytes + build_blob(btf.raw, keep)
    data = gzip.compress(payload, compresslevel=9, mtime=0)
    Path(path).write_bytes(data)
    return len(data)


#: Our own limit on a decompressed snapshot (the bundled one is a few MB; vmlinux BTF ~6 MB).
MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024


def read_snapshot(path: str | Path) -> Btf:
    """Load a snapshot written by :func:`write_snapshot`.

    Anything else (a corrupt gzip/deflate stream, metadata that is not a JSON object, ``stubs``
    that is not a list of type ids) is a :class:`BtfError` naming the file.
    """
    try:
        with gzip.open(path, "rb") as fh:
            payload = fh.read(MAX_SNAPSHOT_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise BtfError(f"cannot read BTF snapshot {path}: {exc}") from None
    if len(payload) > MAX_SNAPSHOT_BYTES:
        raise BtfError(f"BTF snapshot {path}: more than {MAX_SNAPSHOT_BYTES} bytes once "
                       "decompressed; expected a kfunclab BTF snapshot")
    if payload[:len(MAGIC)] != MAGIC or len(payload) < len(MAGIC) + 4:
        raise BtfError(f"{path} is not a kfunclab BTF snapshot (expected magic {MAGIC!r})")
    (meta_len,) = struct.unpack_from("<I", payload, len(MAGIC))
    start = len(MAGIC) + 4
    try:
        meta = json.loads(payload[start:start + meta_len])
    except (ValueError, RecursionError) as exc:
        raise BtfError(f"BTF snapshot {path}: bad metadata: {exc}") from None
    if not isinstance(meta, dict):
        raise BtfError(f"BTF snapshot {path}: metadata is {type(meta).__name__}; expected a "
                       "JSON object")
    if meta.get("format") != FORMAT_VERSION:
        raise BtfError(f"BTF snapshot {path}: format {meta.get('format')} is not "
                       f"{FORMAT_VERSION}; rebuild it with scripts/make_btf_snapshot.py")
    stubs = meta.get("stubs", [])
    if not isinstance(stubs, list) or not all(type(t) is int for t in stubs):
        raise BtfError(f"BTF snapshot {path}: \"stubs\" is not a list of type ids")
    release = meta.get("kernel_release")
    origin = f"bundled BTF snapshot of {release}"
    raw = RawBtf(payload[start + meta_len:], f"snapshot {path}", allow_holes=True)
    btf = Btf(raw, origin, release, frozenset(stubs), snapshot=True)
    btf.snapshot_meta = {k: v for k, v in meta.items() if k != "stubs"}
    return btf
