"""``check_resource_leak()``: what may not be held where a program's walk leaves the program.

Linux 6.18 asks the same questions at the main program's exit (``"BPF_EXIT instruction in main
prog"``), at ``bpf_throw`` (``"bpf_throw"``) and before a tail call (``"tail_call"``), in the
same order: a held spin lock, unreleased references, saved IRQ flags, an open RCU read section,
disabled preemption. Only the prefix of the message differs, and which references count:
``check_reference_leak()`` looks at every frame for an exception exit, else from the main
program's frame only (a tail call inside a subprogram leaves the caller's references alone).

>>> from kfunclab.verifier import verify_text
>>> verify_text('# SEC("tc")\\n call bpf_rcu_read_lock\\n r0 = 0\\n exit\\n',
...             btf="bundled").error.message
'BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region'
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.result import RefEventKind
from kfunclab.verifier.state import RefKind, VState


def check_resource_leak(env: Env, state: VState, idx: int, prefix: str,
                        refs: bool = True) -> None:
    """Refuse the first resource ``state`` still holds; ``refs`` False skips references."""
    if state.active_locks:
        raise Reject(msg.LOCK_AT_EXIT.format(prefix=prefix), errno=22)
    leaked = [r for r in state.refs if r.kind is RefKind.PTR] if refs else []
    if leaked:
        lines = tuple(msg.UNRELEASED_REFERENCE.format(id=r.id, insn=r.insn) for r in leaked)
        for r in leaked:
            env.recorder.ref_event(r.id, RefEventKind.LEAKED, idx, "")
        raise Reject(msg.LEAK_AT_EXIT.format(prefix=prefix), lines, errno=22)
    if state.active_irq_id:
        raise Reject(msg.IRQ_AT_EXIT.format(prefix=prefix), errno=22)
    if state.active_rcu_lock:
        raise Reject(msg.RCU_AT_EXIT.format(prefix=prefix), errno=22)
    if state.active_preempt_locks:
        raise Reject(msg.PREEMPT_AT_EXIT.format(prefix=prefix), errno=22)
