"""Asking the live kernel: load a program for verification only (bpf() via ctypes), never attach.

>>> from kfunclab.kernel import kernel_available
>>> kernel_available()[0] in (True, False)
True
"""

from kfunclab.kernel.verdict import KernelVerdict, kernel_available, kernel_verdict

__all__ = ["KernelVerdict", "kernel_available", "kernel_verdict"]
