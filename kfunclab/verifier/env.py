"""The exploration context shared by every check: ``struct bpf_verifier_env``, kfunclab's way.

One :class:`Env` lives for one ``verify()`` call. It holds what does not change along a path (the
program, its type and loader, BTF, the kfunc registry, the profile) and what the kernel keeps
globally (``id_gen``, the counters behind the statistics). Checks raise :class:`Reject` with the
kernel's message; the explorer turns it into a :class:`~kfunclab.verifier.result.Diagnostic`.
"""

from __future__ import annotations

import errno as errno_mod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kfunclab.btf.model import Btf
    from kfunclab.isa.program import Program
    from kfunclab.kfuncs.profiles import Profile
    from kfunclab.progtypes import ProgramType
    from kfunclab.verifier.cfg import Cfg
    from kfunclab.verifier.record import Recorder


class Reject(Exception):
    """The current path is rejected with the kernel's ``message`` (and the lines before it)."""

    def __init__(self, message: str, context: tuple[str, ...] = (),
                 errno: int = errno_mod.EACCES, trailer: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.context = context  # log lines the kernel prints before the message
        self.errno = errno
        self.trailer = trailer  # ... and after it (the two states of an infinite loop)


class Unsupported(Exception):
    """Something on the current path that kfunclab does not model (a helper, a map type ...).

    Not a verdict of the kernel's: ``verify()`` stops and answers ``unsupported`` with
    ``reason`` (a sentence naming what is missing), never a guessed accept or reject.
    ``insn`` is filled in by the explorer when the check did not know it.
    """

    def __init__(self, reason: str, insn: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.insn = insn


class Limit(Exception):
    """The instruction budget ran out; the whole verification stops."""


@dataclass
class Env:
    """Per-verification context and the kernel's global counters."""

    program: Program
    prog_type: ProgramType
    btf: Btf | None
    registry: Any  # kfunclab.kfuncs Registry for this profile
    profile: Profile
    cfg: Cfg
    recorder: Recorder
    privileged: bool = True  # bpf_capable
    allow_ptr_leaks: bool = True  # perfmon/sys_admin: env->allow_ptr_leaks
    allow_uninit_stack: bool = True  # perfmon: env->allow_uninit_stack
    sleepable: bool = False
    #: BPF_F_TEST_STATE_FREQ: is_state_visited() forces a new state at every prune point
    test_state_freq: bool = False
    insn_limit: int = 1_000_000
    #: False = a naive pruner that never marks scalars precise (for teaching why __k needs it)
    precision: bool = True
    # --- kernel globals ---
    id_gen: int = 0
    insn_processed: int = 0
    jmps_processed: int = 0
    prev_jmps_processed: int = 0
    prev_insn_processed: int = 0
    total_states: int = 0
    explored_states_size: int = 0
    free_list_size: int = 0  # evicted checkpoints still some path's parent (branches > 0)
    num_backedges: int = 0  # SCC back-edge copies kept until their loop visit is done
    precise_marks: int = 0  # scalars marked precise so far (propagate_backedges' "changed")
    peak_states: int = 0
    max_states_per_insn: int = 0
    insn_idx: int = 0
    prev_insn_idx: int = -1
    #: subprogram start -> the deepest stack any path gave it (subprog_info[].stack_depth)
    stack_depth: dict[int, int] = field(default_factory=dict)
    #: callback subprogram start -> "cb" / "async_cb" (subprog_info[].is_cb / is_async_cb)
    callback_subprogs: dict[int, str] = field(default_factory=dict)
    #: per-instruction facts the checks leave for later passes (kfunc metadata, ...)
    aux: dict[int, dict[str, Any]] = field(default_factory=dict)

    def new_id(self) -> int:
        self.id_gen += 1
        return self.id_gen

    def has_cap(self, cap: str) -> bool:
        return self.program.has_cap(cap)
