"""``bpf_tail_call()``: what the verifier checks and how a path goes on after one.

A tail call that succeeds never comes back; one that fails (empty slot, counter at its limit)
falls through to the next instruction. ``check_helper_call()`` of Linux 6.18 therefore:

- refuses it where a jump away would leave something held (``check_resource_leak(env, false,
  true, "tail_call")``): a ``bpf_spin_lock``, an acquired reference (looked at only in the main
  program's frame: ``check_reference_leak()`` skips the references when ``frameno`` is not 0),
  a saved IRQ state, an RCU read section, disabled preemption — in that order;
- in the main program's frame: the path falls through with R0 unset (``RET_VOID``) and packet
  pointers kept (``changes_data = false``: nothing ran);
- in a subprogram (the JIT supports tail calls from subprograms on x86-64, arm64 ...,
  ``allow_tail_call_in_subprogs()``): a branch falls through as above, and this path is the
  tail call that *returned*: packet pointers die (``clear_all_pkt_pointers()``), R0 is an
  unknown scalar, and the subprogram returns to its caller (``prepare_func_exit()``).

The path after the call is :mod:`kfunclab.verifier.tailcall_exit`'s.
``check_max_stack_depth()`` adds one rule (:func:`kfunclab.verifier.stackdepth`): a
subprogram with a tail call may not be entered with 256 bytes or more of callers' stack.

>>> from kfunclab.isa.parser import parse_program
>>> from kfunclab.verifier import verify
>>> prog = parse_program('''# SEC("tc")
... # MAP: jt prog_array key=u32 value=u32 max_entries=1
...     r2 = jt ll
...     r3 = 0
...     call bpf_tail_call
...     exit               # R0 was not set: the failed tail call falls through
... ''')
>>> verify(prog, btf="bundled").error.message
'R0 !read_ok'
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.cfg.checks import is_tail_call
from kfunclab.verifier.env import Env
from kfunclab.verifier.regs import NOT_INIT
from kfunclab.verifier.resource_leak import check_resource_leak
from kfunclab.verifier.state import VState

#: check_max_stack_depth_subprog(): the callers' stack a subprogram with a tail call may have
TAIL_CALL_STACK_LIMIT = 256


def check_tail_call_leak(env: Env, state: VState, idx: int) -> None:
    """``check_resource_leak(env, false, true, "tail_call")`` after the arguments."""
    # check_reference_leak(exception_exit=false) looks only from the main program's frame
    check_resource_leak(env, state, idx, msg.TAIL_CALL_PREFIX, refs=len(state.frames) == 1)


def tail_call_return(state: VState) -> None:
    """R0 after the call on the fall-through path: ``RET_VOID`` leaves it unset."""
    state.regs[0] = NOT_INIT


def has_tail_call(insns: tuple | list, start: int, end: int) -> bool:
    """``check_subprogs()``'s ``has_tail_call``: a ``bpf_tail_call`` in ``[start, end)``."""
    return any(is_tail_call(insns[i]) for i in range(start, end))
