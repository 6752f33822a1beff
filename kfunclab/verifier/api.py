"""``verify()``: check a program as the Linux verifier would, and return the whole story.

>>> from kfunclab.verifier import verify_text
>>> r = verify_text('''# SEC("syscall")
... r1 = 1
... call bpf_task_from_pid
... r0 = 0
... exit''')
>>> r.verdict.value, r.error.message
('reject', 'BPF_EXIT instruction in main prog would lead to reference leak')
"""

from __future__ import annotations

import errno as errno_mod
import os
from dataclasses import replace
from functools import lru_cache

from kfunclab.btf import load_btf
from kfunclab.btf.relocate import link_type_ids
from kfunclab.btf.types import BtfKind
from kfunclab.errors import BtfError, KfunclabError, SectionError
from kfunclab.isa.insn import Call, CallKind
from kfunclab.isa.parser import parse_program
from kfunclab.isa.program import Program
from kfunclab.kfuncs import KF, Kfunc, ProgContext, get_profile, load_catalog
from kfunclab.kfuncs.catalog import Catalog, prototype_resolver
from kfunclab.kfuncs.profiles import Profile
from kfunclab.progtypes import ProgramType, ProgType, program_type
from kfunclab.verifier import messages as msg
from kfunclab.verifier.calls import is_exception_cb
from kfunclab.verifier.cfg import (
    StaticError,
    build_cfg,
    check_cfg,
    license_is_gpl_compatible,
)
from kfunclab.verifier.env import Env, Limit, Reject, Unsupported
from kfunclab.verifier.exceptions import check_throw_in_callbacks
from kfunclab.verifier.explore import Explorer
from kfunclab.verifier.gcpause import paused_cyclic_gc
from kfunclab.verifier.liveness import Liveness
from kfunclab.verifier.log import LOG_TRUNCATED_NOTE
from kfunclab.verifier.mapcompat import check_map_prog_compatibility
from kfunclab.verifier.probed_loads import probed_refusal
from kfunclab.verifier.record import Recorder
from kfunclab.verifier.regs import Reg, RegType
from kfunclab.verifier.result import Diagnostic, Stats, Verdict, VerificationResult
from kfunclab.verifier.scc import SccVisits
from kfunclab.verifier.stackdepth import check_max_stack_depth
from kfunclab.verifier.state import VState, initial_frame
from kfunclab.verifier.struct_ops import member_of
from kfunclab.verifier.trampoline import attach_refusal

BPF_F_TEST_STATE_FREQ = 1 << 3


class UnknownKfuncError(KfunclabError):
    """A ``call NAME`` that is neither a helper, a kfunc of the catalogue, nor a kernel FUNC."""


@lru_cache(maxsize=8)
def _catalog(name: str, profile: Profile, btf_source: str | None) -> Catalog:
    """The catalogue, with prototypes and BTF ids from this kernel's BTF where it describes it."""
    btf = load_btf(btf_source) if btf_source else None
    if btf is not None and name == "linux-6.18":
        protos = [(s.name, s.btf_id, s.ret, [(p.name, p.ctype) for p in s.params])
                  for s in btf.kfuncs()]
        return load_catalog(name, prototype_of=prototype_resolver(protos, profile))
    if name in ("linux-6.18", "linux-7.0", "doc"):
        return load_catalog(name)
    return load_catalog(name, profile)


class _BtfBackedRegistry:
    """The catalogue's registry, plus kfuncs this kernel's BTF has and the table lacks; a
    probed (``live``) profile's answers on visibility and KF_SLEEPABLE win over the table's."""

    def __init__(self, catalog: Catalog, btf: object | None, profile: Profile | None = None
                 ) -> None:
        self.catalog = catalog
        self.btf = btf
        self.profile = profile
        self._sleepable = dict(profile.kfunc_sleepable) if profile is not None else {}
        self._memo: dict[str, tuple[ProgContext, Kfunc | None]] = {}

    def lookup(self, name: str, prog: ProgContext) -> Kfunc | None:
        # asked at every call instruction of every path: the answer depends only on the name
        # and the program's context, which is the same object for one verification
        memo = self._memo.get(name)
        if memo is not None and memo[0] is prog:
            return memo[1]
        found = self._resolve(name, prog)
        self._memo[name] = (prog, found)
        return found

    def _resolve(self, name: str, prog: ProgContext) -> Kfunc | None:
        # the live probe cannot load struct_ops programs (no attach target): the catalogue
        # decides for them
        visible = (self.profile.kfunc_visible(name, prog.prog_type)
                   if self.profile is not None
                   and prog.prog_type != "BPF_PROG_TYPE_STRUCT_OPS" else None)
        if visible is False:
            return None
        found = self._lookup(name, prog)
        if found is None and visible:
            # the kernel lets this program type call it where the table's registrations do not
            found = self.catalog.registry.find(name) or self._from_btf(name)
        sleepable = self._sleepable.get(name)
        if found is not None and sleepable is not None and (
                bool(found.flags & KF.SLEEPABLE) != sleepable):
            found = replace(found, flags=found.flags ^ KF.SLEEPABLE)
        return found

    def _lookup(self, name: str, prog: ProgContext) -> Kfunc | None:
        found = self.catalog.lookup(name, prog)
        if found is not None or name in self.catalog.rows or self.btf is None:
            return found
        if self.catalog.name != "linux-6.18":
            return None  # another kernel's catalogue: only what it declares exists
        return self._from_btf(name)

    def _from_btf(self, name: str) -> Kfunc | None:
        if self.btf is None:
            return None
        try:
            sig = self.btf.kfunc(name)  # type: ignore[attr-defined]
        except BtfError:
            return None
        return Kfunc.build(name, [(p.name, p.ctype) for p in sig.params], sig.ret, KF(0),
                           btf_id=sig.btf_id, source="BTF (not in the catalogue: no flags)")

    def find(self, name: str) -> Kfunc | None:
        return self.catalog.registry.find(name)


#: What ``btf="default"`` means: ``auto`` unless changed with :func:`set_default_btf` (the
#: notebooks use ``bundled`` so they read the same everywhere) or the KFUNCLAB_BTF variable.
_DEFAULT_BTF = [os.environ.get("KFUNCLAB_BTF", "auto")]


def set_default_btf(source: str) -> None:
    """Make ``source`` (auto, live, bundled or a path) the BTF of every later ``verify()``.

    >>> set_default_btf("bundled"); set_default_btf("auto")
    """
    load_btf(source) if source not in ("auto", "none") else None
    _DEFAULT_BTF[0] = source


def resolve_btf(source: str | None) -> object | None:
    """The Btf ``source`` names (default, auto, live, bundled, a path), or None."""
    if source == "default":
        source = _DEFAULT_BTF[0]
    if source is None or source == "none":
        return None
    try:
        return load_btf(source)
    except (BtfError, OSError):
        if source == "auto":
            return None
        raise


def verify_text(text: str, file: str = "<string>", **options: object) -> VerificationResult:
    """Parse assembly text and verify it (see :func:`verify`)."""
    return verify(parse_program(text, file), **options)  # type: ignore[arg-type]


def verify(program: Program, *, btf: str | None = "default", profile: str = "linux-6.18",
           catalog: str | Catalog | None = None, log_level: int = 1, collect_all: bool = False,
           max_recorded_steps: int = 200_000, precision: bool = True,
           insn_limit: int = 1_000_000, resume: Stats | None = None) -> VerificationResult:
    """Verify ``program`` like the kernel's verifier does and return a :class:`VerificationResult`.

    Parameters
    ----------
    btf : "default" | "auto" | "live" | "bundled" | path | None
        Kernel BTF for struct layouts and kfunc prototypes. ``default`` is ``auto`` (live where
        readable, else the bundled snapshot) unless :func:`set_default_btf` changed it.
    profile : str
        Kernel profile: ``linux-6.18`` (default), ``doc`` or ``linux-7.0``.
    catalog : str or Catalog, optional
        kfunc catalogue: a name, a C header / JSON path, or a loaded
        :class:`~kfunclab.kfuncs.catalog.Catalog` (default: the profile's own).
    collect_all : bool
        Go on past the first rejected path and collect every rejected path (for teaching; the
        kernel stops at the first).
    precision : bool
        False turns off precision tracking: a naive pruner that merges states differing only
        in scalars, even ``__k`` constants — unsafe, and shown in the pruning tutorial.
    insn_limit : int
        The complexity budget (the kernel's BPF_COMPLEXITY_LIMIT_INSNS, 1,000,000).
    resume : Stats, optional
        The figures an earlier verification of the same load ended with (a global function is
        verified after the main program, ``do_check_subprogs()``): the kernel's counters run on,
        so the complexity budget, the checkpoint heuristics and the summary are the load's;
        the function's entry is a prune point (a call's target).

    Raises only for input that is not a program (unknown section, unknown call name, BTF that
    cannot be read); a program the kernel would reject is a result with ``verdict`` reject.
    """
    prof = get_profile(profile)
    try:
        ptype = program_type(program.section)
    except SectionError as exc:
        raise SectionError(f"{_where(program)}{exc}") from None
    if btf == "default":
        btf = _DEFAULT_BTF[0]
    btf_obj = resolve_btf(btf)
    program = link_type_ids(program, btf_obj)
    # a program already known to be unsupported (or refused) answers that, whatever its target
    attach_note = (None if program.unsupported or program.refused
                   else _check_attach_target(program, ptype, btf_obj))
    program = _link_kfunc_ids(program, btf_obj)
    if isinstance(catalog, Catalog):
        cat = catalog
    else:
        cat = _catalog(str(catalog or prof.catalog), prof,
                       btf if isinstance(btf, str) and btf_obj is not None else None)
    registry = _BtfBackedRegistry(cat, btf_obj, prof)
    recorder = Recorder(max_steps=max_recorded_steps, log_level=log_level)
    caps_ok = {c for c in ("cap_perfmon", "cap_sys_admin") if program.has_cap(c)}
    cfg = build_cfg(program)
    env = Env(program=program, prog_type=ptype, btf=btf_obj, registry=registry, profile=prof,
              cfg=cfg, recorder=recorder, privileged=program.has_cap("cap_bpf") or
              program.has_cap("cap_sys_admin"),
              allow_ptr_leaks=bool(caps_ok), allow_uninit_stack=bool(caps_ok),
              sleepable=ptype.sleepable, precision=precision, insn_limit=insn_limit,
              test_state_freq=bool(program.prog_flags & BPF_F_TEST_STATE_FREQ))
    if resume is not None:
        env.insn_processed, env.total_states = resume.processed_insns, resume.total_states
        env.peak_states, env.max_states_per_insn = resume.peak_states, resume.max_states_per_insn
        (env.explored_states_size, env.jmps_processed, env.prev_insn_processed,
         env.prev_jmps_processed) = resume.carry
    env.program_gpl = license_is_gpl_compatible(program.license)  # type: ignore[attr-defined]
    env.prog_context = ProgContext(ptype.prog_type.kernel_name,  # type: ignore[attr-defined]
                                   ptype.expected_attach_type.kernel_name
                                   if ptype.expected_attach_type is not None else None,
                                   _attach_name(ptype), ptype.sleepable)
    _check_call_names(program, registry, btf_obj)

    explorer: Explorer | None = None
    static_prefix: list[str] = []

    def finish(error: Diagnostic | None, rejected: tuple[Diagnostic, ...] = (),
               truncated: bool = False) -> VerificationResult:
        stats = Stats(env.insn_processed, env.total_states, env.peak_states,
                      env.max_states_per_insn,
                      carry=(env.explored_states_size + env.free_list_size, env.jmps_processed,
                             env.prev_insn_processed, env.prev_jmps_processed))
        text = explorer.log.text() if explorer is not None else ""
        if explorer is not None and explorer.log.truncated and LOG_TRUNCATED_NOTE not in notes:
            notes.append(LOG_TRUNCATED_NOTE)
        if error is not None and explorer is None and log_level:
            text = "".join(line + "\n" for line in (*static_prefix, error.message))
        if log_level == 1 and error is None:
            text = ""  # the kernel keeps a level-1 log only when verification fails
        if log_level and "empty verifier log" not in (error.message if error else ""):
            text += stats.summary_line() + "\n"
        recorder.log[:] = text.splitlines()
        return VerificationResult(
            program=program, verdict=Verdict.REJECT if error else Verdict.ACCEPT, error=error,
            stats=stats, profile=prof.name, paths=tuple(recorder.paths),
            checkpoints=recorder.checkpoint_values(), prune_events=tuple(recorder.prunes),
            references=recorder.lifetimes(), rejected=rejected or ((error,) if error else ()),
            log_lines=tuple(recorder.log), log_level=log_level,
            truncated=truncated or recorder.truncated, visits=dict(recorder.visits),
            notes=tuple(notes), stack_depths=dict(env.stack_depth))

    notes: list[str] = [attach_note] if attach_note else []
    if ptype.uses_trampoline:
        notes.append(f"{program.section}: trampoline programs (fentry/fexit/fmod_ret/lsm) are "
                     "refused before verification by the kernel kfunclab is checked against "
                     "(EPERM, empty log); kfunclab verified this one with the rules of the "
                     "kernel source")
    refusal = ptype.load_refusal(program.dropped_caps)
    if refusal is not None and not ptype.uses_trampoline:
        err, _reason = refusal
        name = errno_mod.errorcode.get(err, str(err))
        return finish(Diagnostic(None, msg.EMPTY_LOG_REFUSAL.format(errno=err, name=name),
                                 errno=err))
    probed = probed_refusal(prof, ptype)  # a probed build that refuses every such program
    if probed is not None and probed[1] == "empty" and refusal is None:
        name = errno_mod.errorcode.get(probed[0], str(probed[0]))
        return finish(Diagnostic(None, msg.EMPTY_LOG_REFUSAL.format(errno=probed[0], name=name),
                                 errno=probed[0]))
    if program.refused:
        return finish(Diagnostic(None, program.refused, errno=program.refused_errno))
    try:
        incompatible = check_map_prog_compatibility(program, ptype.prog_type, ptype.sleepable,
                                                    prof.sleepable_map_message)
    except Unsupported as missing:
        return replace(finish(None), verdict=Verdict.UNSUPPORTED, rejected=(),
                       error=Diagnostic(None, missing.reason, errno=95))
    if incompatible is not None:  # resolve_pseudo_ldimm64(), before any unsupported part
        if log_level >= 2:  # after check_subprogs()
            static_prefix.extend(_func_lines(program))
        return finish(incompatible)
    if program.unsupported:
        return replace(finish(None), verdict=Verdict.UNSUPPORTED, rejected=(),
                       error=Diagnostic(program.unsupported_insn, program.unsupported, errno=95))
    static = check_cfg(program, env.privileged, kfunc_check=_nameless_kfunc_check)
    if static is not None:
        # check_subprogs() prints the subprogram table; refusals before it come without
        if log_level >= 2 and static.check not in ("add_subprog", "add_kfunc_call",
                                                   "add_subprog_and_kfunc", "bpf_prog_load"):
            static_prefix.extend(_func_lines(program))
        return finish(Diagnostic(static.insn, static.message, errno=static.errno))
    if ptype.prog_type is ProgType.STRUCT_OPS:  # check_attach_btf_id(), after the subprogs
        try:
            member_of(env)
        except Reject as refused:
            if refused.message == msg.STRUCT_OPS_NO_ATTACH_BTF_ID:  # no message of its own
                return finish(Diagnostic(None, silent_refusal(refused.errno, log_level),
                                         errno=refused.errno))
            if log_level >= 2:
                static_prefix.extend(_func_lines(program))
            return finish(Diagnostic(None, refused.message, errno=refused.errno))
        except Unsupported as missing:
            return replace(finish(None), verdict=Verdict.UNSUPPORTED, rejected=(),
                           error=Diagnostic(None, missing.reason, errno=95))
    try:  # check_attach_btf_id(): the trampoline's target
        attach_refused = attach_refusal(env)
    except Unsupported as unknown:
        return replace(finish(None), verdict=Verdict.UNSUPPORTED, rejected=(),
                       error=Diagnostic(None, unknown.reason, errno=95))
    if attach_refused is None and probed is not None and probed[1] == "silent":
        return finish(Diagnostic(None, silent_refusal(probed[0], log_level), errno=probed[0]))
    if attach_refused is not None:
        if log_level >= 2:
            static_prefix.append("func#0 @0")
        return finish(Diagnostic(None, attach_refused, errno=22))
    if ptype.prog_type is ProgType.SYSCALL and not ptype.sleepable:
        return finish(Diagnostic(None, msg.SYSCALL_MUST_BE_SLEEPABLE, errno=22))
    if is_exception_cb(program) and program.entry_args != ("scalar",):
        return finish(Diagnostic(None, msg.EXC_CB_SINGLE_ARG, errno=22))
    kfunc_args = {}
    for _, ins in program.instructions():
        if isinstance(ins, Call) and ins.kind is CallKind.KFUNC and ins.name:
            # the kernel counts arguments only for kfuncs the program may call (else R1-R5)
            k = registry.lookup(ins.name, env.prog_context)
            if k is not None:
                kfunc_args[ins.name] = len(k.params)
    liveness = Liveness(program, cfg, kfunc_args)
    state = VState([initial_frame(Reg(RegType.PTR_TO_CTX))])
    if program.entry_args is not None:  # a global function, verified on its own
        from kfunclab.verifier.globalfunc import entry_regs

        def struct_id(name: str) -> int:
            ids = env.btf.find(name, "STRUCT") if env.btf is not None else ()
            return ids[0] if ids else 0

        state.frames[0].regs[:10] = entry_regs(program.entry_args, env.new_id,
                                               struct_id)[:10]
    explorer = Explorer(env, liveness, collect_all=collect_all)
    if resume is not None:  # a global function: its entry is a call's target
        explorer.prune_points = frozenset(explorer.prune_points) | {0}
    explorer.scc = _scc_numbers(program, cfg)
    explorer.sccs = SccVisits(explorer.scc)
    if log_level >= 2:
        explorer.log.verbose(_live_regs_table(program, liveness, cfg))
    if log_level and program.has_prog_btf:
        # btf_prepare_func_args() on the main function's func_info: an object's own prototype,
        # else the loader's `int main(void *ctx)`, as kernel-verdict loads it
        for line in (program.func_args_log if program.func_args_log is not None
                     else ("arg#0 reference type('UNKNOWN ') size cannot be determined: -22",)):
            explorer.log.line(line)
    try:
        with paused_cyclic_gc():  # the walk makes no reference cycles (gcpause.py)
            error = explorer.run(state)
        if error is None and not collect_all:
            error = check_max_stack_depth(env, explorer.last_insn) \
                or check_throw_in_callbacks(env)
            unresolved = env.aux.get(-1, {}).get("unresolved_kfunc")
            if error is None and unresolved is not None:  # fixup_kfunc_call()
                error = Diagnostic(unresolved, msg.KFUNC_CALL_NOT_ELIMINATED, errno=22)
            if error is not None and log_level:
                # printed after the walk, before the stats; do_check_common() reset a level-1
                # log when the walk succeeded. The exception-callback refusal has no newline.
                if log_level == 1:
                    explorer.log.reset(0)
                joined = error.message == msg.EXC_CB_CALLED_DIRECTLY.format(insn=error.insn)
                explorer.log.verbose(error.message + ("" if joined else "\n"))
    except Limit as limit:
        return finish(limit.args[0], truncated=True)
    except Unsupported as missing:
        return replace(finish(None), verdict=Verdict.UNSUPPORTED,
                       error=Diagnostic(missing.insn, missing.reason, errno=95), rejected=())
    return finish(error, tuple(explorer.rejections))


def silent_refusal(err: int, log_level: int) -> str:
    """The first-error line of a refusal the kernel prints no message for, after
    ``check_subprogs()``: at log level 2 the last line before the summary is ``func#0 @0``; at
    level 1 the log is empty (the empty-log convention). Level 0 answers as the recorded kernel
    answers (asked at level 2) do.

    >>> silent_refusal(524, 1)
    'errno 524 (ENOTSUPP), empty verifier log'
    """
    if log_level == 1:
        name = "ENOTSUPP" if err == msg.ENOTSUPP else errno_mod.errorcode.get(err, str(err))
        return msg.EMPTY_LOG_REFUSAL.format(errno=err, name=name)
    return "func#0 @0"


def _where(program: Program, line: int | None = None) -> str:
    """``FILE:LINE: `` of the program's source (the SEC line by default), or nothing."""
    src = program.source
    if src is None:
        return ""
    if line is None:
        text = _lines_text(src.text)
        at = text.find("SEC(")
        line = text.count("\n", 0, at) + 1 if at >= 0 else 1
    return f"{src.file}:{line}: "


def _lines_text(text: str) -> str:
    """The text with the line ends the parser counts (LF, CRLF, CR) as LF."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _check_attach_target(program: Program, ptype: ProgramType, btf: object | None) -> str:
    """libbpf's ``libbpf_find_attach_btf_id()``: the SEC() target must be in the kernel BTF.

    A missing target is an input error (libbpf refuses before the kernel is asked); without
    BTF the target cannot be checked, which the returned note says.
    """
    if ptype.prog_type is ProgType.STRUCT_OPS:
        if program.struct_ops is not None:  # an object's: its struct_ops map names the member
            return ""
        raise SectionError(
            f"{_where(program)}SEC(\"{program.section}\"): libbpf loads a struct_ops program only "
            "through the struct_ops map that names its kernel struct and member "
            "(attach_btf_id); a program file cannot declare that map, so kfunclab cannot "
            "check it (the name after '/' is the program's, not a kernel symbol)")
    target = ptype.attach_btf_name
    if target is None or ptype.expected_attach_type is None:  # none, or freplace's program
        return ""
    name, kind = target
    if btf is None:
        return (f"SEC(\"{program.section}\"): without kernel BTF the attach target {name!r} "
                "cannot be checked")
    if not btf.find(name, kind):  # type: ignore[attr-defined]
        raise SectionError(
            f"{_where(program)}SEC(\"{program.section}\"): attach target {name!r} ({kind}) is "
            f"not in the kernel BTF ({btf.origin}); libbpf refuses to load the program: "  # type: ignore[attr-defined]
            f"failed to find kernel BTF type ID of {ptype.attach_target!r}: -ESRCH")
    return ""


def _nameless_kfunc_check(slot: int, ins: Call) -> StaticError | None:
    """``add_kfunc_call()``: a kfunc call whose BTF id names no FUNC of the kernel BTF."""
    if ins.kind is CallKind.KFUNC and not ins.name and ins.imm:  # id 0: left for later
        return StaticError(slot, msg.KFUNC_NOT_FOUND.format(btf_id=ins.imm), errno_mod.EINVAL,
                           "add_kfunc_call")
    return None


def _link_kfunc_ids(program: Program, btf: object | None) -> Program:
    """Give kfunc calls this kernel's BTF ids, as a loader does (the log prints them), and
    ``call kernel-function#ID`` the name of that id's FUNC."""
    if btf is None:
        return program
    insns = list(program.insns)
    changed = False
    for i, ins in enumerate(insns):
        if isinstance(ins, Call) and ins.kind is CallKind.KFUNC and not ins.name:
            try:
                found = btf.kind(ins.imm) is BtfKind.FUNC  # type: ignore[attr-defined]
            except BtfError:
                found = False
            if found:
                insns[i] = Call(CallKind.KFUNC, ins.imm, btf.name(ins.imm))  # type: ignore[attr-defined]
                changed = True
            continue
        if isinstance(ins, Call) and ins.kind is CallKind.KFUNC and ins.name and not ins.imm:
            ids = btf.find(ins.name, BtfKind.FUNC)  # type: ignore[attr-defined]
            if ids:
                insns[i] = Call(CallKind.KFUNC, ids[0], ins.name)
                changed = True
    return replace(program, insns=tuple(insns)) if changed else program


def _func_lines(program: Program) -> list[str]:
    """check_subprogs()'s level-2 table, ``func#N @START`` for every subprogram."""
    try:
        cfg = build_cfg(program)
    except Exception:  # a program check_cfg() refuses may have no graph: the main one only
        return ["func#0 @0"]
    return [f"func#{i} @{sub.start}" for i, sub in enumerate(cfg.subprogs)]


def _live_regs_table(program: Program, liveness: Liveness, cfg: object) -> str:
    """The 6.18 level-2 preamble: ``func#0 @0`` and the ``Live regs before insn:`` table, with
    the number of the loop (strongly connected component) an instruction belongs to."""
    from kfunclab.isa.printer import format_kernel

    scc = _scc_numbers(program, cfg)
    # check_subprogs() lists every subprogram (calls and callbacks' ld_imm64 targets)
    lines = [f"func#{i} @{sub.start}" for i, sub in enumerate(cfg.subprogs)]  # type: ignore[attr-defined]
    lines.append("Live regs before insn:")
    for slot, ins in program.instructions():
        mask = liveness.regs_before(slot)
        marks = "".join(str(r) if (mask >> r) & 1 else "." for r in range(10))
        where = f"{scc[slot]:3d} {slot:3d}" if slot in scc else f"{slot:7d}"
        lines.append(f"{where}: {marks} {format_kernel(ins, slot)}")
    return "\n".join(lines) + "\n"


def _scc_numbers(program: Program, cfg: object) -> dict[int, int]:
    """Instruction -> loop number (1, 2, ... by first instruction) for instructions in a loop."""
    edges = [(slot, succ) for slot, _ in program.instructions()
             for succ in cfg.successors(slot)]  # type: ignore[attr-defined]
    if all(succ > slot for slot, succ in edges):
        return {}  # only forward edges: no loop (and no graph library to load)
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    loops = [c for c in nx.strongly_connected_components(graph)
             if len(c) > 1 or any(graph.has_edge(n, n) for n in c)]
    numbers: dict[int, int] = {}
    for number, component in enumerate(sorted(loops, key=min), start=1):
        for slot in component:
            numbers[slot] = number
    return numbers


def _attach_name(ptype: object) -> str | None:
    name = ptype.attach_btf_name  # type: ignore[attr-defined]
    return name[0] if name else None


def _check_call_names(program: Program, registry: _BtfBackedRegistry, btf: object | None) -> None:
    """Every ``call NAME`` must name something, or the input is wrong (not a verdict)."""
    for slot, ins in program.instructions():
        if not (isinstance(ins, Call) and ins.kind is CallKind.KFUNC):
            continue
        if not ins.name:
            if btf is None:
                raise UnknownKfuncError(
                    f"{_where_col(program, slot, 'call')}error: kfunc BTF id {ins.imm} cannot be "
                    "resolved to a name without kernel BTF; expected btf='live' or 'bundled'")
            continue  # add_kfunc_call() refuses it: a verdict
        if ins.name in registry.catalog.rows:
            continue
        if btf is not None and btf.find(ins.name, BtfKind.FUNC):  # type: ignore[attr-defined]
            continue
        where = _where_col(program, slot, ins.name)
        raise UnknownKfuncError(
            f"{where}error: unknown function '{ins.name}': not a BPF helper, not a kfunc of the "
            f"catalogue '{registry.catalog.name}', and not a function in the kernel BTF")


def _where_col(program: Program, slot: int, word: str) -> str:
    """``FILE:LINE:COL: `` of ``word`` on the line of instruction ``slot``."""
    src = program.source
    if src is None or slot >= len(src.lines):
        return ""
    line = src.lines[slot]
    lines = _lines_text(src.text).split("\n")
    at = lines[line - 1].find(word) if line <= len(lines) else -1
    return f"{src.file}:{line}:{at + 1 if at >= 0 else 1}: "
