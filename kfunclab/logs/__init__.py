"""Reading a kernel verifier log: the same result, and so the same pictures, as kfunclab's own.

>>> from kfunclab.logs import read_log
>>> r = read_log("0: R1=ctx() R10=fp0\\n0: (b7) r0 = 0                        ; R0=0\\n"
...              "1: (95) exit\\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 "
...              "total_states 0 peak_states 0 mark_read 0")
>>> r.accepted, r.paths[0].insns
(True, (0, 1))
"""

from pathlib import Path

from kfunclab.logs.compare import StepDifference, compare_logs
from kfunclab.logs.reader import LogResult, read_log
from kfunclab.logs.states import LogSnapshot

__all__ = ["LogResult", "LogSnapshot", "StepDifference", "compare_logs", "read_log", "stored_log"]

_DATA = Path(__file__).resolve().parent.parent / "data"


def stored_log(name: str = "cgroup-ancestor-leak") -> str:
    """A verifier log kfunclab ships (``kfunclab/data/NAME.log``), recorded from Linux 6.18.

    The notebooks read it where no kernel can be asked, and check their outputs against it.
    """
    return (_DATA / f"{name}.log").read_text()
