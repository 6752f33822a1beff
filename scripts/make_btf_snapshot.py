#!/usr/bin/env python3
"""Write kfunclab/data/btf-snapshot.btf.gz from this machine's /sys/kernel/btf/vmlinux.

The snapshot keeps the kernel's type ids (see kfunclab.btf.snapshot) and holds:
- every FUNC tagged bpf_kfunc, its FUNC_PROTO and decl tags, and, in full, every struct its
  parameters or return value point at;
- the enums bpf_func_id, bpf_prog_type, bpf_attach_type (and a few more uapi enums);
- every btf_trace_<tp> typedef (tp_btf/ programs), the bpf_lsm_* and bpf_iter_* FUNCs
  (lsm/ and iter/ targets) and a few common fentry targets;
- the structs listed in FULL_STRUCTS below (catalogues, tutorials, cases, program contexts via
  bpf_ctx_convert, the verifier's <struct>__safe_* allow-lists);
- everything those reach, by value or through pointers. That closure is ~10% of the kernel's
  types (~0.3 MB gzipped on 6.18), so no struct needs to be cut down to a stub; --stubs
  cuts structs reached only through pointers (and not listed) down to name+kind+size.

Usage: scripts/make_btf_snapshot.py [--source /sys/kernel/btf/vmlinux] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kfunclab.btf.model import Btf  # noqa: E402
from kfunclab.btf.snapshot import closure, read_snapshot, write_snapshot  # noqa: E402
from kfunclab.btf.types import BtfKind, Ptr  # noqa: E402

FULL_STRUCTS = [
    "task_struct", "cgroup", "cgroup_subsys_state", "css_set", "cpumask", "bpf_cpumask",
    "nf_conn", "nf_conn___init", "bpf_sock_tuple", "bpf_ct_opts", "sk_buff", "__sk_buff",
    "xdp_md", "xdp_buff", "bpf_dynptr", "bpf_iter_num", "bpf_iter_bits", "bpf_iter_task",
    "bpf_iter_task_vma", "bpf_iter_css", "bpf_iter_css_task", "file", "pid", "list_head", "rq",
    "sock", "sock_common", "socket", "pt_regs", "bpf_perf_event_data", "bpf_perf_event_data_kern",
    "bpf_raw_tracepoint_args", "bpf_sock", "bpf_sock_ops", "bpf_sock_ops_kern", "bpf_sock_addr",
    "bpf_sock_addr_kern", "sk_msg_md", "sk_msg", "bpf_sk_lookup", "bpf_sk_lookup_kern",
    "bpf_nf_ctx", "bpf_sockopt", "bpf_sockopt_kern", "bpf_sysctl", "bpf_sysctl_kern",
    "bpf_cgroup_dev_ctx", "sk_reuseport_md", "sk_reuseport_kern", "bpf_flow_dissector",
    "bpf_ctx_convert", "mm_struct", "inode", "dentry", "linux_binprm", "bpf_iter_meta",
    "bpf_iter__task", "seq_file", "kernfs_node", "cred", "bpf_map", "bpf_list_head",
    "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_refcount", "bpf_spin_lock",
    "bpf_res_spin_lock", "bpf_timer", "bpf_wq", "vm_area_struct", "tcp_sock", "request_sock",
    "net_device", "bpf_prog", "bpf_prog_aux",
]

ENUMS = ("bpf_func_id", "bpf_prog_type", "bpf_attach_type", "bpf_map_type", "bpf_link_type",
         "bpf_dynptr_type", "bpf_cmd", "bpf_arg_type", "bpf_return_type", "bpf_reg_type",
         "bpf_type_flag")

FENTRY_TARGETS = ("do_sys_openat2", "do_unlinkat", "vfs_read", "vfs_write", "vfs_open",
                  "tcp_v4_connect", "tcp_connect", "do_exit", "wake_up_new_task",
                  "security_file_open", "bpf_fentry_test1", "bpf_fentry_test2",
                  "bpf_fentry_test3", "bpf_modify_return_test", "kernel_clone", "do_nanosleep")


def kfunc_pointee_structs(btf: Btf) -> set[int]:
    """Structs a kfunc parameter or return value points at (one pointer level)."""
    found: set[int] = set()
    for sig in btf.kfuncs():
        for type_id in (sig.ret_type_id, *(p.type_id for p in sig.params)):
            resolved = btf.skip_modifiers(type_id)
            ptr = btf.type_by_id(resolved)
            if isinstance(ptr, Ptr):
                target = btf.skip_modifiers(ptr.type)
                if btf.kind(target) in (BtfKind.STRUCT, BtfKind.UNION):
                    found.add(target)
    return found


def choose(btf: Btf) -> tuple[list[int], set[int]]:
    """(roots kept by value, structs kept in full even behind pointers)."""
    raw = btf.raw
    full = {tid for name in FULL_STRUCTS for tid in btf.find(name, BtfKind.STRUCT)}
    full |= {tid for tid in raw.ids_of_kind(BtfKind.STRUCT) if "__safe_" in raw.name(tid)}
    full |= kfunc_pointee_structs(btf)
    roots = [sig.btf_id for sig in btf.kfuncs()]
    roots += [tid for name in ENUMS for tid in btf.find(name)
              if raw.kinds[tid] in (BtfKind.ENUM, BtfKind.ENUM64)]
    for tid in raw.ids_of_kind(BtfKind.TYPEDEF):
        if raw.name(tid).startswith("btf_trace_"):
            roots.append(tid)
    for tid in raw.ids_of_kind(BtfKind.FUNC):
        name = raw.name(tid)
        if name.startswith(("bpf_lsm_", "bpf_iter_")) or name in FENTRY_TARGETS:
            roots.append(tid)
    return roots, full


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="/sys/kernel/btf/vmlinux")
    ap.add_argument("--out", default=str(ROOT / "kfunclab" / "data" / "btf-snapshot.btf.gz"))
    ap.add_argument("--stubs", action="store_true",
                    help="keep structs reached only through pointers as stubs")
    args = ap.parse_args()
    data = Path(args.source).read_bytes()
    btf = Btf.from_bytes(data, args.source)
    roots, full = choose(btf)
    keep = closure(btf, roots, args.stubs, full)
    meta = {
        "kernel_release": os.uname().release,
        "source": args.source,
        "source_bytes": len(data),
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "created_by": "scripts/make_btf_snapshot.py",
        "full_structs": sorted(btf.name(t) for t in full),
    }
    size = write_snapshot(args.out, btf, keep, meta)
    start = time.perf_counter()
    snap = read_snapshot(args.out)
    load = time.perf_counter() - start
    n_full = sum(1 for v in keep.values() if v)
    print(f"{args.out}: {size} bytes; {len(btf)} type ids, {n_full} kept whole, "
          f"{len(keep) - n_full} stubs; {len(snap.kfuncs())} kfuncs; load {load * 1000:.0f} ms")
    for name in FULL_STRUCTS:
        if not btf.find(name, BtfKind.STRUCT):
            print(f"note: struct {name} is not in this kernel's BTF", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
