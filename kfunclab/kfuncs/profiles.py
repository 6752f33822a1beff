"""Kernel profiles: what one kernel release says about kfuncs, as data.

Code elsewhere never asks "which version is this?": it reads a profile field
(``profile.kptr_get``, ``profile.trusted_args_default`` ...). Facts and dates are gathered in
``docs/kernel-notes.md`` (sections 1, 2 and 4), and the kernel sources are named in each
field's comment; where a profile *assumes* something it says so in ``assumptions``.

>>> get_profile("linux-6.18").trusted_args_default
False
>>> KF.KPTR_GET in get_profile("doc").flags
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kfunclab.errors import CatalogError
from kfunclab.kfuncs.annotations import ALL_ANNOTATIONS, Annotation
from kfunclab.kfuncs.flags import KF
from kfunclab.kfuncs.hooks import Hook

#: The set macros of include/linux/btf_ids.h that kfunclab's C parser understands.
SET8_MACROS = ("BTF_SET8_START", "BTF_SET8_END")
KFUNCS_MACROS = ("BTF_KFUNCS_START", "BTF_KFUNCS_END")

_ALL_FLAGS = KF(sum(KF))


@dataclass(frozen=True)
class Profile:
    """One kernel's kfunc rules. Frozen and hashable; compare profiles with ``==``."""

    name: str
    kernel: str  # "6.18"; for the doc, the era it describes
    description: str
    flags: KF  # flags this kernel defines
    #: (flag, why it is not available) for flags some other kernel has; used in messages.
    flag_notes: tuple[tuple[KF, str], ...]
    set_macros: frozenset[str]  # ID-set macros the kernel has (BTF_SET8_* / BTF_KFUNCS_*)
    #: register_btf_kfunc_id_set() returns -EINVAL for a set not made with BTF_KFUNCS_START
    #: (its BTF_SET8_KFUNCS flag is missing). Since 6.9, "bpf: treewide: Annotate BPF kfuncs".
    kfunc_sets_must_be_tagged: bool
    annotations: frozenset[Annotation]  # suffixes btf_param_match_suffix() is asked about
    trusted_args_default: bool  # every pointer argument trusted without KF_TRUSTED_ARGS (7.0)
    release_implies_trusted: bool  # is_kfunc_trusted_args() includes KF_RELEASE (since 6.4)
    #: The BTF type tags btf_find_kptr() reads as a referenced and an unreferenced kptr. Since 6.4
    #: ("bpf: Rename __kptr_ref -> __kptr and __kptr -> __kptr_untrusted") they are "kptr" and
    #: "kptr_untrusted"; before, "kptr_ref" and "kptr". Another tag makes the map unloadable.
    kptr_ref_tag: str = field(default="kptr", kw_only=True)
    kptr_unref_tag: str = field(default="kptr_untrusted", kw_only=True)
    kptr_get: bool  # KF_KPTR_GET exists (until 6.4)
    rcu_protected_enforced: bool  # "kernel func %s requires RCU critical section protection"
    opt_exempts_null_check: bool  # __opt, like __nullable, skips "Possibly NULL pointer" (7.0)
    #: prog type -> hook, as bpf_prog_type_to_kfunc_hook(); absent types map to HOOK_MAX.
    hook_map: tuple[tuple[str, Hook], ...]
    hooks: frozenset[Hook]  # hooks this kernel has
    #: KF_ACQUIRE kfuncs whose return is not a struct pointer (obj_new, percpu_obj_new,
    #: refcount_acquire: special_kfunc_list in verifier.c); exempt from the acquire check.
    acquire_ret_exempt: tuple[str, ...]
    #: kfuncs whose ``void *`` argument is the program context (is_kfunc_arg_ctx special case).
    ctx_arg_kfuncs: tuple[str, ...]
    catalog: str  # name of the catalogue describing this kernel's kfuncs
    max_args: int = 5  # MAX_BPF_FUNC_REG_ARGS: "Function %s has %d > %d args"
    assumptions: tuple[str, ...] = field(default=())
    # --- what a probed (``live``) kernel adds; the named profiles leave these empty ---------
    #: a trusted-args kfunc's pointer-to-struct argument must be a trusted pointer even where
    #: upstream 6.18 reads a struct of scalars as plain memory (found on patched 6.18 builds:
    #: a stack or ctx pointer to bpf_xdp_ct_lookup's ``struct xdp_md *`` is "R1 must be
    #: referenced or trusted" there)
    trusted_struct_args: bool = False
    #: every bpf_dynptr_slice_rdwr() call is refused with EPERM after its arguments, whatever
    #: the program type ("bpf_dynptr_slice_rdwr() is not allowed"; found on patched 6.18 builds,
    #: where upstream lets packet writers have a writable slice)
    dynptr_slice_rdwr_refused: bool = False
    #: helper name -> program types that may call it, as the kernel answered; None: the model's
    #: own table (kfunclab.verifier.calls)
    helper_prog_types: tuple[tuple[str, frozenset[str]], ...] | None = None
    #: program types the helper table was probed for (others: the model's own table)
    helper_probed_types: frozenset[str] = frozenset()
    #: kfunc name -> program types whose programs may call it, as the kernel answered
    kfunc_prog_types: tuple[tuple[str, frozenset[str]], ...] | None = None
    #: program types the kfunc probe never loads (they need an attach target: LSM, EXT ...):
    #: their kfunc visibility is the catalogue's registrations, not "not visible"
    kfunc_unprobed_types: frozenset[str] = frozenset()
    #: kfunc name -> KF_SLEEPABLE as the kernel answered (only for kfuncs it could be asked of)
    kfunc_sleepable: tuple[tuple[str, bool], ...] = ()
    #: (program type or ``iter/TARGET``, errno, log form) of the minimal loads the probed
    #: kernel refused: form ``empty`` (before the verifier ran, e.g. a program type the build
    #: leaves out) or ``silent`` (check_attach_btf_id() without a message). kfunclab.kernel.
    #: probe_loads asks; the named profiles refuse nothing upstream 6.18 source loads
    load_refusals: tuple[tuple[str, int, str], ...] = ()
    #: the probed kernel's refusal of a map type in a sleepable program
    #: (check_map_prog_compatibility()); None: upstream 6.18's wording
    sleepable_map_message: str | None = None
    kernel_release: str = ""  # the running kernel a probed profile describes
    probed: tuple[str, ...] = ()  # what the probes established, in words

    def helper_allowed(self, helper: str, prog_type: str) -> bool | None:
        """Whether ``helper`` (``bpf_map_lookup_elem``) may be called from ``prog_type`` as the
        probed kernel answered; None where nothing was probed (use the model's table)."""
        if self.helper_prog_types is None or prog_type not in self.helper_probed_types:
            return None
        for name, types in self.helper_prog_types:
            if name == helper:
                return prog_type in types
        return False

    def kfunc_visible(self, kfunc: str, prog_type: str) -> bool | None:
        """Whether ``prog_type`` programs may call ``kfunc`` as the probed kernel answered;
        None where it was not probed."""
        if self.kfunc_prog_types is None:
            return None
        if prog_type in self.kfunc_unprobed_types:
            return None
        for name, types in self.kfunc_prog_types:
            if name == kfunc:
                return prog_type in types
        return None

    def load_refusal(self, key: str) -> tuple[int, str] | None:
        """(errno, log form) of the probed kernel's refusal of every program of ``key`` (a
        ``BPF_PROG_TYPE_*`` name or ``iter/TARGET``), or None (it loads, or was not probed).

        >>> get_profile("linux-6.18").load_refusal("BPF_PROG_TYPE_LIRC_MODE2") is None
        True
        """
        for name, err, form in self.load_refusals:
            if name == key:
                return err, form
        return None

    def hook_of(self, prog_type: str) -> Hook:
        """bpf_prog_type_to_kfunc_hook(): the hook of a canonical BPF_PROG_TYPE_* name."""
        for ptype, hook in self.hook_map:
            if ptype == prog_type:
                return hook
        return Hook.MAX

    def flag_note(self, flag: KF) -> str:
        """Why ``flag`` is not available here ("" when it is)."""
        for f, note in self.flag_notes:
            if f == flag:
                return note
        return ""

    def __str__(self) -> str:
        return self.name


_TRACING = ("BPF_PROG_TYPE_TRACING", "BPF_PROG_TYPE_TRACEPOINT", "BPF_PROG_TYPE_PERF_EVENT",
            "BPF_PROG_TYPE_LSM")
_CGROUP = ("BPF_PROG_TYPE_CGROUP_SKB", "BPF_PROG_TYPE_CGROUP_SOCK", "BPF_PROG_TYPE_CGROUP_DEVICE",
           "BPF_PROG_TYPE_CGROUP_SOCK_ADDR", "BPF_PROG_TYPE_CGROUP_SOCKOPT",
           "BPF_PROG_TYPE_CGROUP_SYSCTL", "BPF_PROG_TYPE_SOCK_OPS")
_LWT = ("BPF_PROG_TYPE_LWT_OUT", "BPF_PROG_TYPE_LWT_IN", "BPF_PROG_TYPE_LWT_XMIT",
        "BPF_PROG_TYPE_LWT_SEG6LOCAL")


def _map(*groups: tuple[tuple[str, ...] | str, Hook]) -> tuple[tuple[str, Hook], ...]:
    out: list[tuple[str, Hook]] = []
    for types, hook in groups:
        for t in (types,) if isinstance(types, str) else types:
            out.append((t, hook))
    return tuple(out)


# kernel/bpf/btf.c bpf_prog_type_to_kfunc_hook() in 6.18. RAW_TRACEPOINT is *not* in the TRACING
# group: live 6.18 answers "calling kernel function bpf_task_from_pid is not allowed" for raw_tp,
# and the patch "bpf: Associate raw tracepoint program type with the kfunc tracing hook"
# (Puranjay Mohan) that adds it is later than 6.18.
_HOOKS_618 = _map(
    ("BPF_PROG_TYPE_UNSPEC", Hook.COMMON),
    ("BPF_PROG_TYPE_XDP", Hook.XDP),
    ("BPF_PROG_TYPE_SCHED_CLS", Hook.TC),
    ("BPF_PROG_TYPE_STRUCT_OPS", Hook.STRUCT_OPS),
    (_TRACING, Hook.TRACING),
    ("BPF_PROG_TYPE_SYSCALL", Hook.SYSCALL),
    (_CGROUP, Hook.CGROUP),
    ("BPF_PROG_TYPE_SCHED_ACT", Hook.SCHED_ACT),
    ("BPF_PROG_TYPE_SK_SKB", Hook.SK_SKB),
    ("BPF_PROG_TYPE_SOCKET_FILTER", Hook.SOCKET_FILTER),
    (_LWT, Hook.LWT),
    ("BPF_PROG_TYPE_NETFILTER", Hook.NETFILTER),
    ("BPF_PROG_TYPE_KPROBE", Hook.KPROBE),
)
_HOOKS_70 = (*_HOOKS_618, ("BPF_PROG_TYPE_RAW_TRACEPOINT", Hook.TRACING))
# About 6.2: COMMON (bpf_cast_to_kern_ctx, 6.2), XDP, TC, STRUCT_OPS, TRACING (TRACING and LSM),
# SYSCALL, FMODRET. The skb/cgroup/lwt/netfilter/kprobe hooks came with 6.4+ features.
_HOOKS_DOC = _map(
    ("BPF_PROG_TYPE_UNSPEC", Hook.COMMON),
    ("BPF_PROG_TYPE_XDP", Hook.XDP),
    ("BPF_PROG_TYPE_SCHED_CLS", Hook.TC),
    ("BPF_PROG_TYPE_STRUCT_OPS", Hook.STRUCT_OPS),
    (("BPF_PROG_TYPE_TRACING", "BPF_PROG_TYPE_LSM"), Hook.TRACING),
    ("BPF_PROG_TYPE_SYSCALL", Hook.SYSCALL),
)
_HOOKS_ALL_618 = frozenset(h for h in Hook if h is not Hook.MAX)
_HOOKS_DOC_SET = frozenset({Hook.COMMON, Hook.XDP, Hook.TC, Hook.STRUCT_OPS, Hook.TRACING,
                            Hook.SYSCALL, Hook.FMODRET})

_KPTR_GET_GONE = (KF.KPTR_GET, "KF_KPTR_GET was removed in 6.4 (7b4ddf3920d2 \"bpf: Remove "
                  "KF_KPTR_GET kfunc flag\"); use an RCU-protected kptr load and a KF_RCU "
                  "acquire kfunc")
# The six suffixes of 6.2/6.3; __uninit came with 6.4 (kernel-semantics.md §1.7).
_ANN_DOC = frozenset({Annotation.SIZE, Annotation.CONSTANT, Annotation.IGNORE, Annotation.ALLOC,
                      Annotation.RDONLY_BUF_SIZE, Annotation.RDWR_BUF_SIZE})
_EXEMPT = ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl", "bpf_refcount_acquire_impl")

LINUX_6_18 = Profile(
    name="linux-6.18",
    kernel="6.18",
    description="Linux 6.18 (the running kernel of the course machines)",
    flags=_ALL_FLAGS & ~KF.KPTR_GET,
    flag_notes=(_KPTR_GET_GONE,),
    set_macros=frozenset(SET8_MACROS + KFUNCS_MACROS),
    kfunc_sets_must_be_tagged=True,
    annotations=frozenset(ALL_ANNOTATIONS),
    trusted_args_default=False,
    release_implies_trusted=True,
    kptr_get=False,
    rcu_protected_enforced=True,
    opt_exempts_null_check=False,
    hook_map=_HOOKS_618,
    hooks=_HOOKS_ALL_618,
    acquire_ret_exempt=_EXEMPT,
    ctx_arg_kfuncs=("bpf_cast_to_kern_ctx",),
    catalog="linux-6.18",
)

DOC = Profile(
    name="doc",
    kernel="6.2",
    description="the kernel Documentation/bpf/kfuncs.rst of the seed describes (about 6.2/6.3)",
    # KF_RCU came in 6.2; KF_ITER_* (6.4), KF_RCU_PROTECTED (6.7), KF_FASTCALL (6.13) did not
    # exist yet (docs/kernel-notes.md, section 1).
    flags=KF.ACQUIRE | KF.RELEASE | KF.RET_NULL | KF.KPTR_GET | KF.TRUSTED_ARGS | KF.SLEEPABLE
    | KF.DESTRUCTIVE | KF.RCU,
    flag_notes=(
        (KF.ITER_NEW, "KF_ITER_NEW came in 6.4, after the doc's kernel"),
        (KF.ITER_NEXT, "KF_ITER_NEXT came in 6.4, after the doc's kernel"),
        (KF.ITER_DESTROY, "KF_ITER_DESTROY came in 6.4, after the doc's kernel"),
        (KF.RCU_PROTECTED, "KF_RCU_PROTECTED came in 6.7, after the doc's kernel"),
        (KF.FASTCALL, "KF_FASTCALL came in 6.13, after the doc's kernel"),
    ),
    set_macros=frozenset(SET8_MACROS),
    kfunc_sets_must_be_tagged=False,
    annotations=_ANN_DOC,
    trusted_args_default=False,
    # "bpf: Treat KF_RELEASE kfuncs as KF_TRUSTED_ARGS" is 6.4: before it is_kfunc_trusted_args()
    # tested KF_TRUSTED_ARGS only, so a release-only kfunc did no NULL or trust check.
    release_implies_trusted=False,
    kptr_ref_tag="kptr_ref",
    kptr_unref_tag="kptr",
    kptr_get=True,
    rcu_protected_enforced=False,
    opt_exempts_null_check=False,
    hook_map=_HOOKS_DOC,
    hooks=_HOOKS_DOC_SET,
    # The doc calls the constructor bpf_obj_new (libbpf's macro around bpf_obj_new_impl).
    acquire_ret_exempt=("bpf_obj_new", "bpf_obj_new_impl"),
    ctx_arg_kfuncs=("bpf_cast_to_kern_ctx",),
    catalog="doc",
    assumptions=(
        "hook list approximated for 6.2 (COMMON, XDP, TC, STRUCT_OPS, TRACING+LSM, SYSCALL)",
        "annotations: __sz, __k, __ign, __alloc, rdonly_buf_size, rdwr_buf_size (6.2); "
        "__uninit (6.4) and later ones are plain names",
    ),
)

LINUX_7_0 = Profile(
    name="linux-7.0",
    kernel="7.0",
    description="Linux 7.0 (bpf-next after 2026-01-02): trusted arguments by default",
    flags=_ALL_FLAGS & ~KF.KPTR_GET & ~KF.TRUSTED_ARGS,
    flag_notes=(
        _KPTR_GET_GONE,
        (KF.TRUSTED_ARGS, "KF_TRUSTED_ARGS was removed in 7.0 (1a5c01d2508a, 7646c7afd9a9): "
                          "every kfunc takes trusted pointer arguments by default"),
    ),
    set_macros=frozenset(SET8_MACROS + KFUNCS_MACROS),
    kfunc_sets_must_be_tagged=True,
    annotations=frozenset(ALL_ANNOTATIONS),
    trusted_args_default=True,
    release_implies_trusted=True,
    kptr_get=False,
    rcu_protected_enforced=True,
    opt_exempts_null_check=True,
    hook_map=_HOOKS_70,
    hooks=_HOOKS_ALL_618,
    acquire_ret_exempt=_EXEMPT,
    ctx_arg_kfuncs=("bpf_cast_to_kern_ctx",),
    catalog="linux-7.0",
    assumptions=(
        "RAW_TRACEPOINT maps to the TRACING hook (Puranjay Mohan's patch, assumed merged by 7.0)",
        "KF_IMPLICIT_ARGS and KF_ARENA_* (7.0) are not modelled; _impl kfuncs keep __prog",
        "kfunc table = the 6.18 table without KF_TRUSTED_ARGS; 7.0 additions not listed",
    ),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (LINUX_6_18, DOC, LINUX_7_0)}
DEFAULT_PROFILE = LINUX_6_18


def get_profile(name: str | Profile | None = None) -> Profile:
    """The profile called ``name`` (default ``linux-6.18``); a Profile passes through.

    >>> get_profile("doc").kernel
    '6.2'
    """
    if name is None:
        return DEFAULT_PROFILE
    if isinstance(name, Profile):
        return name
    if name == "live":
        from kfunclab.kfuncs.live import load_live_profile

        return load_live_profile()
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join((*PROFILES, "live"))
        raise CatalogError(f"unknown kernel profile '{name}'; expected one of {known}") from None
