"""Snapshots of BTF that keep the kernel's type ids: closure, holes, stubs, the file format."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kfunclab.btf import Btf, load_btf
from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.snapshot import closure, read_snapshot, write_snapshot
from kfunclab.errors import BtfError


def source_btf() -> Btf:
    b = BtfBuilder()
    i32 = b.add_int("int", 4, signed=True)                                    # 1
    b.add_struct("unrelated", 4, [("x", i32, 0)])                             # 2
    b.add_struct("mm_struct", 16, [("users", i32, 0), ("owner", 6, 64)])     # 3
    b.add_ptr(3)                                                              # 4
    b.add_struct("task_struct", 24, [("pid", i32, 0), ("mm", 4, 64),          # 5
                                     ("parent", 6, 128)])
    b.add_ptr(5)                                                              # 6
    proto = b.add_func_proto(6, [("p", 6)])                                   # 7
    func = b.add_func("bpf_task_acquire", proto)                              # 8
    b.add_decl_tag("bpf_kfunc", func)                                         # 9
    b.add_enum("bpf_func_id", [("BPF_FUNC_unspec", 0)])                       # 10
    b.add_decl_tag("unrelated_tag", 2)                                        # 11
    return Btf.from_bytes(b.build(), "source")


def test_closure_follows_pointers_by_default() -> None:
    btf = source_btf()
    keep = closure(btf, [8])
    assert sorted(keep) == [1, 3, 4, 5, 6, 7, 8, 9]  # no 2, 10, 11
    assert all(keep.values())


def test_closure_with_stubs_behind_pointers() -> None:
    btf = source_btf()
    keep = closure(btf, [8], stub_structs_behind_pointers=True, full_structs=[5])
    assert keep == {8: True, 7: True, 6: True, 5: True, 1: True, 4: True, 3: False, 9: True}


@pytest.fixture
def snapshot_path(tmp_path: Path) -> Path:
    btf = source_btf()
    keep = closure(btf, [8, 10], stub_structs_behind_pointers=True, full_structs=[5])
    path = tmp_path / "snap.btf.gz"
    write_snapshot(path, btf, keep, {"kernel_release": "6.18-test"})
    return path


def test_snapshot_keeps_ids_and_answers_like_the_source(snapshot_path: Path) -> None:
    src, snap = source_btf(), read_snapshot(snapshot_path)
    assert snap.is_snapshot and snap.kernel_release == "6.18-test"
    assert len(snap) == len(src)
    for tid in (1, 4, 5, 6, 7, 8, 9, 10):
        assert snap.type_by_id(tid) == src.type_by_id(tid)
    assert snap.find("task_struct", "STRUCT") == (5,)
    assert snap.kfuncs() == src.kfuncs()
    assert snap.member_at(5, 16, 8) == src.member_at(5, 16, 8)
    assert snap.enum_values("bpf_func_id") == {"BPF_FUNC_unspec": 0}
    assert snap.snapshot_meta["types_full"] == 8


def test_snapshot_holes_and_stubs(snapshot_path: Path) -> None:
    snap = read_snapshot(snapshot_path)
    assert snap.find("unrelated") == ()
    with pytest.raises(BtfError) as exc:
        snap.type_by_id(2)
    assert str(exc.value) == ("type id 2 is not in the bundled BTF snapshot of 6.18-test; "
                              "load the live BTF for it")
    # a stub keeps name, kind and size ...
    assert snap.is_stub(3) and snap.describe(3) == "STRUCT mm_struct"
    assert snap.sizeof(3) == 16 and snap.to_ctype(4).spelling() == "struct mm_struct *"
    assert snap.member_at(5, 8, 8).btf_id == 3  # reading task->mm is fine
    # ... but anything that needs its members says so
    message = ("struct mm_struct (id 3) is only a stub in the bundled BTF snapshot of "
               "6.18-test: its name, kind and size are kept, its members are not in the "
               "snapshot; load the live BTF for them")
    with pytest.raises(BtfError) as exc:
        snap.struct_members(3)
    assert str(exc.value) == message
    with pytest.raises(BtfError, match="only a stub"):
        snap.member_at(3, 0, 4)


def test_snapshot_is_compact(snapshot_path: Path) -> None:
    payload = gzip.decompress(snapshot_path.read_bytes())
    assert b"unrelated" not in payload  # names of dropped types are not carried


def test_not_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "x.btf.gz"
    path.write_bytes(gzip.compress(b"hello"))
    with pytest.raises(BtfError, match="is not a kfunclab BTF snapshot"):
        read_snapshot(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(BtfError, match="cannot read BTF snapshot"):
        read_snapshot(path)


def test_load_btf_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "raw.btf"
    path.write_bytes(BtfBuilder().build())
    btf = load_btf(str(path))
    assert len(btf) == 1 and load_btf(str(path)) is btf  # cached per source
    with pytest.raises(BtfError, match="cannot read BTF file"):
        load_btf(str(tmp_path / "missing.btf"))
