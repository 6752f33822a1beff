"""Pictures of programs and verification results: matplotlib figures and Graphviz DOT text.

Every ``draw_*`` function is pure: it takes a :class:`~kfunclab.verifier.cfg.Cfg` or a
:class:`~kfunclab.verifier.result.VerificationResult` and returns a new
:class:`matplotlib.figure.Figure` (no pyplot state), so it renders headless with Agg, saves with
``fig.savefig`` and displays in a notebook. matplotlib is imported inside those functions only:
``import kfunclab.viz`` does not import it.

>>> from kfunclab.verifier import verify_text
>>> from kfunclab.verifier.cfg import build_cfg
>>> result = verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n')
>>> type(draw_cfg(result)).__name__, cfg_to_dot(build_cfg(result.program)).count(" -> ")
('Figure', 0)
"""

from kfunclab.viz.cfg import draw_cfg, draw_rejected_paths
from kfunclab.viz.dot import cfg_to_dot
from kfunclab.viz.paths import ViewError, full_path
from kfunclab.viz.refs import draw_ref_lifetimes
from kfunclab.viz.statetable import draw_state_table

__all__ = [
    "ViewError", "cfg_to_dot", "draw_cfg", "draw_ref_lifetimes", "draw_rejected_paths",
    "draw_state_table", "full_path",
]
