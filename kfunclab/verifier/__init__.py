"""The verifier: CFG checks, path exploration with pruning, kfunc rules, results.

>>> from kfunclab.verifier import verify_text
>>> verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n').verdict.value
'accept'
"""

from kfunclab.verifier.api import UnknownKfuncError, set_default_btf, verify, verify_text
from kfunclab.verifier.result import (
    Checkpoint,
    Diagnostic,
    ExploredPath,
    PathEnd,
    PruneEvent,
    RefEvent,
    RefEventKind,
    RefLifetime,
    Stats,
    Step,
    Verdict,
    VerificationResult,
)

__all__ = [
    "Checkpoint", "Diagnostic", "ExploredPath", "PathEnd", "PruneEvent", "RefEvent",
    "RefEventKind", "RefLifetime", "Stats", "Step", "UnknownKfuncError", "Verdict",
    "VerificationResult", "set_default_btf", "verify", "verify_text",
]
