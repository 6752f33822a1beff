"""Cutting a program line into tokens and each token into its *shape* symbol.

A statement is cut by one regular expression (:data:`TOKEN_RE`); each token becomes a symbol
(``R`` a register, ``N`` a number, ``S`` a size, ``A`` an assignment operator, ...) that the
instruction templates (:mod:`kfunclab.isa.templates`) are written in. Also here: the prefixes a
line may carry (the kernel log's ``12: (bf)``, ``llvm-objdump``'s bytes) that the program parser
(:mod:`kfunclab.isa.parser`) strips.

>>> tokenize("r1 = *(u32 *)(r2 + 4)")
['r1', '=', '*', '(', 'u32', '*', ')', '(', 'r2', '+', '4', ')']
>>> " ".join(shape_symbol(t) for t in tokenize("r1 = *(u32 *)(r2 + 4)"))
'R = * ( S * ) ( R + N )'
"""

from __future__ import annotations

import re

TOKEN_RE = re.compile(r"""\s*(
      [A-Za-z_]\w*(?:-[A-Za-z_]\w*)*\#[-+]?\d+       # kernel log call target: name#id
    | s(?:>>=|/=|%=|>=|<=|>|<)                         # signed operators (before identifiers)
    | [A-Za-z_.$][\w.$]*                               # identifiers and keywords
    | 0[xX][0-9a-fA-F]+ | 0[bB][01]+ | \d+             # numbers
    | <<= | >>= | == | != | >= | <= | \+= | -= | \*= | /= | %= | \|= | &= | \^=
    | \S)""", re.X)

# libbpf's bpf_core_type_id_kernel(TYPE) macro (bpf_core_read.h), as an immediate: the type's id
# in the kernel's BTF, resolved when the BTF in use is known (kfunclab.isa.program)
TYPE_ID_CALL = "bpf_core_type_id_kernel"
TYPE_ID_RE = re.compile(r"bpf_core_type_id_kernel\s*\(\s*(?:(struct|union|enum|typedef)\s+)?"
                         r"([A-Za-z_]\w*)\s*\)")

SYMBOLS: dict[str, str] = {
    **{f"r{i}": "R" for i in range(11)}, **{f"w{i}": "W" for i in range(11)},
    **dict.fromkeys(("+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<=", ">>=", "s>>=", "s/=",
                     "s%="), "A"),
    **dict.fromkeys(("==", "!=", ">", ">=", "<", "<=", "s>", "s>=", "s<", "s<=", "&"), "C"),
    **dict.fromkeys(("u8", "u16", "u32", "u64", "s8", "s16", "s32"), "S"),
    **dict.fromkeys((f"{k}{b}" for k in ("be", "le", "bswap") for b in (16, 32, 64)), "E"),
    **dict.fromkeys((f"atomic{w}_fetch_{op}" for w in ("", "64") for op in ("add", "and", "or",
                                                                          "xor")), "F"),
    **{k: k for k in ("goto", "gotol", "may_goto", "if", "call", "exit", "ll", "lock", "skb", "pc",
                      "xchg_64", "xchg32_32", "cmpxchg_64", "cmpxchg32_32", "atomic_xchg",
                      "atomic64_xchg", "atomic_cmpxchg", "atomic64_cmpxchg")},
    **{c: c for c in "=+-*()[],:"},
}
KEYWORDS = frozenset(k for k, v in SYMBOLS.items() if v == k and k[0].isalpha()) | {
    k for k, v in SYMBOLS.items() if v in "RWSEF"}

def shape_symbol(token: str) -> str:
    sym = SYMBOLS.get(token)
    if sym is not None:
        return sym
    first = token[0]
    if first.isdigit():
        return "N"
    if "#" in token:
        return "K"
    if first.isalpha() or first in "_.$":
        return "I"
    return token


class BadToken(Exception):
    """An error at token ``index`` of the statement (the driver turns it into a column).

    ``token`` instead names the offending token's text where its index varies by template.
    """

    def __init__(self, index: int, message: str, token: str | None = None) -> None:
        super().__init__(message)
        self.index, self.message, self.token = index, message, token


def parse_number(tok: str, index: int) -> int:
    try:
        if len(tok) > 1 and tok[0] == "0" and tok[1].isdigit():
            return int(tok, 8)  # llvm-mc reads a leading 0 as octal
        return int(tok, 0)
    except ValueError:
        raise BadToken(index, f"expected a number, found {tok!r}") from None


def signed_field(value: int, bits: int, index: int, what: str) -> int:
    """``value`` as a signed ``bits``-bit field; hex up to 2**bits-1 wraps, as llvm-mc does."""
    top = 1 << bits
    if not -(top >> 1) <= value < top:
        raise BadToken(index, f"{what} {value} out of {bits}-bit range")
    return value - top if value >= top >> 1 else value




# "12: (bf) ...", the live-regs listing's "  2   3: 012....... (1d) ...", or just "(bf) ..."
KERNEL_PREFIX_RE = re.compile(r"\s*(?:(?:\d+\s+)?\d+:\s*(?:[.\d]{10,11}\s+)?)?"
                               r"\(([0-9a-fA-F]{2})\)\s?")
OBJDUMP_PREFIX_RE = re.compile(r"\s*\d+:\s+(?:[0-9a-fA-F]{2} ){7}[0-9a-fA-F]{2}"
                                r"(?: (?:[0-9a-fA-F]{2} ){7}[0-9a-fA-F]{2})?\s+")
OBJDUMP_LABEL_RE = re.compile(r"\s*[0-9a-fA-F]+ <([A-Za-z_.$][\w.$]*)>:\s*$")
OBJDUMP_SUFFIX_RE = re.compile(r"\s+<[\w.$+-]*>\s*$")


def token_columns(stmt: str) -> list[int]:
    return [m.start(1) for m in TOKEN_RE.finditer(stmt.rstrip())]


def tokenize(stmt: str) -> list[str]:
    """The statement's tokens. Trailing blanks are cut first: there ``\\s*`` would match and
    fail again at every position, quadratic in their length (40,000 blanks took 37 s)."""
    return TOKEN_RE.findall(stmt.rstrip())


#: Our own limits on program files (the kernel reads bytes, not text): a longer line or file
