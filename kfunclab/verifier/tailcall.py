"""``bpf_tail_call()`` as Linux 6.18's ``check_helper_call()`` ends it (kernel/bpf/verifier.c).

A tail call that succeeds never comes back; one that fails falls through with R0 unset (the
prototype's ``RET_VOID``). Before it, ``check_resource_leak(env, false, true, "tail_call")``:
no reference of the main frame may be held (``check_reference_leak()`` looks at frame 0
only), no IRQ state saved, no RCU read section or preemption-disabled region open. In the main
program the packet stays where it was (``changes_data = false``). In a subprogram the x86 JIT
lets the tail-called program return to the subprogram's caller: the verifier pushes the
fall-through path, then leaves the subprogram with R0 unknown and every packet pointer
cleared (``prepare_func_exit()``). The checks before the call are
:func:`kfunclab.verifier.helper_protos.check_tail_call_resources`.

>>> from kfunclab.verifier import verify_text
>>> verify_text('''# SEC("tc")
... # MAP: progs prog_array key=u32 value=u32 max_entries=1
...     r2 = progs ll
...     r3 = 0
...     call bpf_tail_call
...     exit''').error.message
'R0 !read_ok'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.verifier.env import Env
from kfunclab.verifier.regs import UNKNOWN_SCALAR
from kfunclab.verifier.state import VState

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches


def finish_tail_call(env: Env, state: VState, idx: int, explorer: Branches) -> int | None:
    """The instruction this path goes on with after a tail call in a subprogram (the caller's,
    past the call), the fall-through pushed; None in the main program (next instruction)."""
    if len(state.frames) == 1:
        return None
    from kfunclab.verifier import calls
    from kfunclab.verifier.helper_protos import clear_packet_pointers

    explorer.push_branch(state, idx + 1, idx)
    clear_packet_pointers(state)
    state.regs[0] = UNKNOWN_SCALAR
    return calls.exit_subprog(env, state)
