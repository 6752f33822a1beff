"""struct_ops programs: the member they fill, their context, writes and return value.

A struct_ops program implements one function-pointer member of a kernel struct registered with
``register_bpf_struct_ops()`` (``tcp_congestion_ops``: a TCP congestion control in BPF). The
loader passes ``attach_btf_id`` = the struct and ``expected_attach_type`` = the member index
(kfunclab reads them from the object: :mod:`kfunclab.elf.structops`). The kernel then:

- ``check_struct_ops_btf_id()`` (verifier.c): a GPL-compatible licence; a member that is a
  function pointer; the struct's ``check_member`` (``bpf_tcp_ca_check_member()`` refuses
  ``get_info``);
- takes the context from the member's prototype: ``ctx[i]`` is argument ``i`` as a u64, a
  struct pointer argument a trusted ``PTR_TO_BTF_ID`` (``btf_ctx_access()``), and
  ``bpf_tcp_ca_is_valid_access()`` promotes ``struct sock *`` to ``struct tcp_sock *``;
- lets the struct's ``btf_struct_access`` decide writes through those pointers
  (``bpf_tcp_ca_btf_struct_access()``: a few congestion-control fields of tcp_sock);
- ``check_return_code()``: a void member's program returns nothing (R0 is not looked at).

Only struct_ops kfunclab knows the verifier_ops of are modelled (:data:`MODELLED`); others
answer unsupported.

>>> sorted(MODELLED)
['bpf_dummy_ops', 'tcp_congestion_ops']
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunclab.btf.types import Composite, FuncProto, Ptr
from kfunclab.ctype import CType, Kind
from kfunclab.errors import BtfError
from kfunclab.isa.insn import Call
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.helper_specs import HelperSpec, ProtoSpec
from kfunclab.verifier.nfconn import check_btf_write
from kfunclab.verifier.regs import Reg

#: struct_ops whose verifier_ops kfunclab models (net/ipv4/bpf_tcp_ca.c,
#: net/bpf/bpf_dummy_struct_ops.c)
MODELLED = frozenset({"tcp_congestion_ops", "bpf_dummy_ops"})
#: check_member(): members the struct refuses (bpf_tcp_ca's unsupported_ops[])
_REFUSED_MEMBERS = {"tcp_congestion_ops": frozenset({"get_info"})}
#: bpf_tcp_ca_btf_struct_access(): (struct, first field, last field) writable in tcp_sock;
#: a range of fields (icsk_ca_priv) may be written from any offset inside it
_TCP_CA_WRITABLE = (("sock", "sk_pacing_rate", False), ("sock", "sk_pacing_status", False),
                    ("inet_connection_sock", "icsk_ca_priv", True),
                    ("inet_connection_sock", "icsk_ack.pending", False),
                    ("tcp_sock", "snd_cwnd", False), ("tcp_sock", "snd_cwnd_cnt", False),
                    ("tcp_sock", "snd_cwnd_stamp", False),
                    ("tcp_sock", "snd_ssthresh", False), ("tcp_sock", "ecn_flags", False),
                    ("tcp_sock", "app_limited", False))


@dataclass(frozen=True)
class StructOpsMember:
    """The member a struct_ops program implements, as the kernel BTF describes it."""

    struct_name: str
    member: str
    index: int
    args: tuple[CType, ...]
    returns_void: bool
    returns_pointer: bool


def attach_member(env: Env) -> StructOpsMember:
    """``check_struct_ops_btf_id()``: the program's member, or the kernel's refusal (Reject)
    or what kfunclab does not model (Unsupported)."""
    slot = env.program.struct_ops
    if slot is None:
        raise Unsupported("a struct_ops program that no struct_ops map of the object names "
                          "(libbpf cannot tell its struct and member)")
    struct_name, member_name = slot
    if not getattr(env, "program_gpl", True):
        raise Reject(msg.STRUCT_OPS_GPL, errno=22)
    btf = env.btf
    ids = btf.find(struct_name, "STRUCT") if btf is not None else ()
    if not ids and btf is not None:
        # libbpf cannot give the program an attach_btf_id (its struct_ops map cannot be made
        # against this kernel); loaded anyway, as the selftests' loader does, it has none, and
        # check_struct_ops_btf_id() returns -ENOTSUPP without a message. kfunclab reads no
        # module BTF: a module's struct (bpf_testmod_ops) is refused as a kernel without it does.
        raise Reject(msg.STRUCT_OPS_NO_ATTACH_BTF_ID, errno=msg.ENOTSUPP)
    if not ids:
        raise Unsupported(f"struct_ops struct '{struct_name}': no kernel BTF in use")
    if struct_name not in MODELLED:
        raise Unsupported(f"struct_ops of struct '{struct_name}' (its verifier_ops: context, "
                          "writes, helpers) are not modelled by kfunclab")
    if env.sleepable:
        raise Unsupported("sleepable struct_ops programs are not modelled by kfunclab")
    struct = btf.type_by_id(ids[0])  # type: ignore[union-attr]
    assert isinstance(struct, Composite)
    index = next((i for i, m in enumerate(struct.members) if m.name == member_name), None)
    if index is None:  # libbpf: "Cannot find member %s in kernel BTF"
        raise Unsupported(f"member '{member_name}' is not in the kernel's struct {struct_name}; "
                          "libbpf refuses the map")
    proto = _func_proto(btf, struct.members[index].type)
    if proto is None:
        raise Reject(msg.STRUCT_OPS_INVALID_MEMBER.format(member=member_name, idx=index,
                                                          struct=struct_name), errno=22)
    if member_name in _REFUSED_MEMBERS.get(struct_name, ()):
        raise Reject(msg.STRUCT_OPS_UNSUPPORTED_MEMBER.format(member=member_name,
                                                              struct=struct_name), errno=524)
    args = tuple(btf.to_ctype(p.type) for p in proto.params)  # type: ignore[union-attr]
    returns_pointer = bool(proto.type) and isinstance(
        btf.type_by_id(btf.skip_modifiers(proto.type)), Ptr)  # type: ignore[union-attr]
    return StructOpsMember(struct_name, member_name, index, args, proto.type == 0,
                           returns_pointer)


def _func_proto(btf: object, type_id: int) -> FuncProto | None:
    """``btf_type_resolve_func_ptr()``: the FUNC_PROTO a pointer member points to."""
    try:
        ptr = btf.type_by_id(btf.skip_modifiers(type_id))  # type: ignore[attr-defined]
        if not isinstance(ptr, Ptr):
            return None
        proto = btf.type_by_id(btf.skip_modifiers(ptr.type))  # type: ignore[attr-defined]
    except BtfError:
        return None
    return proto if isinstance(proto, FuncProto) else None


def member_of(env: Env) -> StructOpsMember:
    """The member checked at the start of verification (cached on the env)."""
    found = getattr(env, "struct_ops_member", None)
    if found is None:
        found = attach_member(env)
        env.struct_ops_member = found  # type: ignore[attr-defined]
    return found


def ctx_arg_struct(env: Env, index: int, ctype: CType) -> str:
    """The struct a pointer argument's register points to: ``bpf_tcp_ca_is_valid_access()``
    promotes ``sock`` to ``tcp_sock``; bpf_dummy_ops' pointer arguments are ``__nullable``
    (their cfi stubs say so), which kfunclab does not model."""
    member = member_of(env)
    assert ctype.target is not None
    if member.struct_name == "bpf_dummy_ops":
        raise Unsupported("bpf_dummy_ops' pointer arguments (nullable by their cfi stubs) are "
                          "not modelled by kfunclab")
    if member.struct_name == "tcp_congestion_ops" and ctype.target.name == "sock":
        return "tcp_sock"
    return ctype.target.name


def btf_write(env: Env, reg: Reg, name: str, off: int, size: int) -> None:
    """A write of ``size`` bytes at ``off`` into the kernel struct ``name`` (``reg``): the
    struct_ops' ``btf_struct_access``; other program types: their hook's (nf_conn.mark from tc
    and XDP, :func:`kfunclab.verifier.nfconn.check_btf_write`), else ``only read is supported``."""
    from kfunclab.progtypes import ProgType

    if env.prog_type.prog_type is not ProgType.STRUCT_OPS:
        check_btf_write(env, reg, off, size)
        return
    member = member_of(env)
    if member.struct_name != "tcp_congestion_ops":
        raise Unsupported(f"writes through PTR_TO_BTF_ID in {member.struct_name} programs "
                          "(its btf_struct_access) are not modelled by kfunclab")
    if name != "tcp_sock" or env.btf is None:
        raise Reject(msg.BTF_WRITE_ONLY_ALLOWED)
    for struct, field, is_range in _TCP_CA_WRITABLE:
        start, end = _field_span(env.btf, struct, field)
        if off == start or (is_range and start <= off < end):
            if off + size > end:
                raise Reject(msg.TCP_CA_WRITE_BEYOND.format(off=off, size=size, end=end))
            return
    raise Reject(msg.TCP_CA_NO_WRITE.format(off=off))


def _field_span(btf: object, struct: str, path: str) -> tuple[int, int]:
    """(offsetof, offsetofend) of ``struct.path`` (``a.b`` for a nested member)."""
    ids = btf.find(struct, "STRUCT")  # type: ignore[attr-defined]
    if not ids:
        raise Unsupported(f"struct {struct} is not in the kernel BTF")
    type_id, base = ids[0], 0
    for part in path.split("."):
        comp = btf.type_by_id(btf.skip_modifiers(type_id))  # type: ignore[attr-defined]
        m = next((m for m in getattr(comp, "members", ()) if m.name == part), None)
        if m is None:
            raise Unsupported(f"field {struct}.{path} is not in the kernel BTF")
        base += m.bit_offset // 8
        type_id = m.type
    return base, base + btf.sizeof(type_id)  # type: ignore[attr-defined]


def void_exit(env: Env) -> bool:
    """``check_return_code()``: the main program of a void member returns nothing."""
    from kfunclab.progtypes import ProgType

    if env.prog_type.prog_type is not ProgType.STRUCT_OPS or env.program.entry_args is not None:
        return False
    member = member_of(env)
    if member.returns_pointer:
        raise Unsupported("struct_ops members returning a pointer (a referenced kptr may be "
                          "returned) are not modelled by kfunclab")
    return member.returns_void


def is_pointer_arg(ctype: CType) -> bool:
    return ctype.kind is Kind.PTR and ctype.target is not None and \
        ctype.target.kind is Kind.STRUCT


#: bpf_tcp_ca_get_func_proto(): the helpers tcp_congestion_ops adds to bpf_base_func_proto()
_TCP_CA_PROTOS = {"bpf_tcp_send_ack": "bpf_tcp_send_ack_proto",
                  "bpf_sk_storage_get": "bpf_sk_storage_get_proto",
                  "bpf_sk_storage_delete": "bpf_sk_storage_delete_proto",
                  "bpf_setsockopt": "bpf_sk_setsockopt_proto",
                  "bpf_getsockopt": "bpf_sk_getsockopt_proto",
                  "bpf_ktime_get_coarse_ns": "bpf_ktime_get_coarse_ns_proto"}
#: the data's table that is bpf_base_func_proto() alone (bpf_nf_func_proto() adds nothing)
_BASE_TABLE = "netfilter"


def struct_ops_proto(env: Env, spec: HelperSpec, insn: Call, idx: int) -> ProtoSpec:
    """The struct_ops' ``get_func_proto()`` (``bpf_tcp_ca_get_func_proto()``): the prototype
    of helper ``spec`` for this program, or the kernel's refusal."""
    member = member_of(env)
    full = spec.name
    refused = Reject(msg.HELPER_NOT_ALLOWED.format(name=full, imm=insn.imm), errno=22)
    if member.struct_name != "tcp_congestion_ops":
        raise Unsupported(f"{full}#{insn.imm}: helpers of {member.struct_name} programs (its "
                          "get_func_proto) are not modelled by kfunclab", idx)
    own = _TCP_CA_PROTOS.get(full)
    if own is not None:
        # release() may not call get/setsockopt (it runs while the CC retires)
        if full in ("bpf_setsockopt", "bpf_getsockopt") and member.member == "release":
            raise refused
        for p in spec.protos:  # (bpf_tcp_send_ack's tcp_sock, set at init, is in the data)
            if p.name == own:
                return p
        raise Unsupported(f"{full}#{insn.imm}: kfunclab's data has no {own}", idx)
    candidates = [p for p in spec.protos if p.condition(_BASE_TABLE) is not None]
    bpf = env.has_cap("cap_bpf") or env.has_cap("cap_sys_admin")
    perfmon = env.has_cap("cap_perfmon") or env.has_cap("cap_sys_admin")
    usable = []
    for p in candidates:
        cond = p.condition(_BASE_TABLE) or {}
        if cond.get("conditional") or cond.get("config"):
            raise Unsupported(f"{full}#{insn.imm}: whether bpf_base_func_proto() gives it "
                              "depends on the kernel's configuration or lockdown", idx)
        cap = cond.get("cap")
        if cap is None or (cap == "CAP_BPF" and bpf) or (cap == "CAP_PERFMON" and perfmon):
            usable.append(p)
    if not usable:
        raise refused
    if len(usable) > 1:
        raise Unsupported(f"{full}#{insn.imm}: several base prototypes", idx)
    return usable[0]
