"""kfunclab: learn and check how Linux BPF kfuncs and the BPF verifier work."""

__version__ = "0.1.0"
