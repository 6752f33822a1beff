"""kfunclab: learn and check how Linux BPF kfuncs and the BPF verifier work."""

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext kfunclab``: the ``%%bpf`` / ``%%kfuncs`` magics and HTML views."""
    from kfunclab.magics import load_ipython_extension as load  # IPython only when asked

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """``%unload_ext kfunclab``."""
    from kfunclab.magics import unload_ipython_extension as unload

    unload(ipython)


def __getattr__(name: str) -> object:
    """``kfunclab.verify_object`` (imported on first use: the verifier loads only when asked)."""
    if name == "verify_object":
        from kfunclab.elf import verify_object

        return verify_object
    raise AttributeError(f"module 'kfunclab' has no attribute {name!r}")
