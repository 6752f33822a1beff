"""A small C reader: tokens, types and function declarations, enough for kernel kfunc text.

It reads what kfunc definitions look like in the kernel and in the kfuncs doc: specifiers and
qualifiers (``static``, ``__bpf_kfunc``, ``const``, ``__user`` ...), ``struct``/``union``/``enum``
tags, integer spellings (``u32``, ``unsigned long``, ``long unsigned int``), pointers, function
pointer parameters (``bool (*less)(...)``), ``...``, and a body ``{ ... }`` that is skipped by
balancing braces. Errors are :class:`~kfunclab.errors.ParseError` with file:line:col and what was
expected.

>>> decl = parse_function_text("void bpf_memzero(void *mem, int mem__sz) { ... }")
>>> decl.name, [n for n, _ in decl.params], decl.has_body
('bpf_memzero', ['mem', 'mem__sz'], True)
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kfunclab.ctype import INTEGER_TYPES, VOID, CType, Kind, integer, ptr_to
from kfunclab.errors import ParseError


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "ident", "number", "string", "char", "punct", "preproc", "eof"
    text: str
    line: int
    col: int


_TOKEN_RE = re.compile(r"""
    (?P<ws>[ \t\r\f\v]+|\n)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>0[xX][0-9a-fA-F]+[uUlL]*|[0-9]+[uUlL]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<punct>\.\.\.|->|<<=|>>=|<<|>>|\|\||&&|==|!=|<=|>=|\+\+|--|[-+*/%&|^~!=<>?:;,.(){}\[\]])
""", re.VERBOSE | re.DOTALL)
_PREPROC_RE = re.compile(r"[ \t]*#")


def tokenize(text: str, file: str = "<input>") -> list[Token]:
    """Split C text into tokens; comments vanish, a ``#`` line is one ``preproc`` token, and
    an ``eof`` token ends the list.

    >>> [t.text for t in tokenize("u32 x; /* c */\\n# define A 1")]
    ['u32', 'x', ';', '# define A 1', '']
    """
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def where(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    tokens: list[Token] = []
    pos, at_line_start = 0, True
    while pos < len(text):
        if at_line_start:
            m = _PREPROC_RE.match(text, pos)
            if m:  # a preprocessor line, with backslash continuations
                end = pos
                while True:
                    nl = text.find("\n", end)
                    if nl < 0:
                        end = len(text)
                        break
                    if text[nl - 1] == "\\":
                        end = nl + 1
                        continue
                    end = nl
                    break
                line, col = where(m.end() - 1)
                tokens.append(Token("preproc", text[pos:end].strip(), line, col))
                pos = end
                continue
        if text.startswith("/*", pos) and text.find("*/", pos + 2) < 0:
            line, col = where(pos)
            raise ParseError(file, line, col, "unterminated comment; expected '*/'")
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            line, col = where(pos)
            raise ParseError(file, line, col, f"unexpected character {text[pos]!r}; expected C "
                                              "declarations")
        kind = m.lastgroup or ""
        if kind == "ws":
            at_line_start = m.group() == "\n" or (at_line_start and "\n" not in m.group())
        elif kind == "comment":
            if "\n" in m.group():
                at_line_start = False
        else:
            line, col = where(pos)
            tokens.append(Token(kind, m.group(), line, col))
            at_line_start = False
        pos = m.end()
    line, col = where(len(text))
    tokens.append(Token("eof", "", line, col))
    return tokens


class TokenStream:
    """Tokens with one cursor; ``expect`` raises ParseError naming what was expected."""

    def __init__(self, tokens: list[Token], file: str) -> None:
        self.tokens = tokens
        self.file = file
        self.pos = 0

    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def at(self, text: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind != "string" and tok.text == text

    def accept(self, text: str) -> Token | None:
        if self.at(text):
            return self.next()
        return None

    def error(self, expected: str, tok: Token | None = None) -> ParseError:
        tok = tok or self.peek()
        found = "end of input" if tok.kind == "eof" else f"'{tok.text}'"
        return ParseError(self.file, tok.line, tok.col, f"expected {expected}, found {found}")

    def expect(self, text: str, expected: str | None = None) -> Token:
        if not self.at(text):
            raise self.error(expected or f"'{text}'")
        return self.next()

    def expect_ident(self, expected: str) -> Token:
        if self.peek().kind != "ident":
            raise self.error(expected)
        return self.next()

    def skip_balanced(self, open_: str, close: str) -> list[Token]:
        """At ``open_``: consume through the matching ``close``; return the inner tokens."""
        start = self.expect(open_)
        depth, inner = 1, []
        while True:
            tok = self.next()
            if tok.kind == "eof":
                raise ParseError(self.file, start.line, start.col,
                                 f"'{open_}' is never closed; expected '{close}'")
            if tok.text == open_ and tok.kind == "punct":
                depth += 1
            elif tok.text == close and tok.kind == "punct":
                depth -= 1
                if depth == 0:
                    return inner
            inner.append(tok)


# --- types ------------------------------------------------------------------------------------

_QUALIFIERS = {"const", "volatile", "restrict", "__restrict"}
#: Storage classes and kernel annotations that say nothing about the type.
_IGNORED = {"static", "extern", "inline", "__inline", "__inline__", "__always_inline", "noinline",
            "__noinline", "__used", "notrace", "__bpf_kfunc", "__weak", "__init", "__maybe_unused",
            "__cold", "__visible", "register", "__ksym", "__must_check", "__nocast", "__force",
            "__iomem", "asmlinkage", "__noreturn", "__always_unused", "__bpf_fastcall"}
#: BTF type tags, by the name BTF gives them (``btf_type_tag("user")`` ...).
_TAGS = {"__user": "user", "__percpu": "percpu", "__rcu": "rcu", "__arena": "address_space(1)",
         "__kptr": "kptr", "__kptr_untrusted": "kptr_untrusted", "__kptr_ref": "kptr_ref"}
_INT_WORDS = ("unsigned", "signed", "short", "long", "int", "char")

#: Kernel typedefs that are not in kfunclab.ctype.INTEGER_TYPES.
EXTRA_TYPEDEFS: dict[str, CType] = {
    **{n: integer(n, s, sg) for n, (s, sg) in {
        "__be16": (2, False), "__be32": (4, False), "__be64": (8, False),
        "__le16": (2, False), "__le32": (4, False), "__le64": (8, False),
        "__wsum": (4, False), "__sum16": (2, False), "uintptr_t": (8, False),
        "loff_t": (8, True), "umode_t": (2, False), "dev_t": (4, False), "uid_t": (4, False),
        "gid_t": (4, False), "u_int32_t": (4, False), "__kernel_size_t": (8, False),
        "uint8_t": (1, False), "uint16_t": (2, False), "uint32_t": (4, False),
        "uint64_t": (8, False), "int8_t": (1, True), "int16_t": (2, True), "int32_t": (4, True),
        "int64_t": (8, True),
    }.items()},
    # kernel/bpf/helpers.c:
    # typedef int (*bpf_task_work_callback_t)(struct bpf_map *, void *, void *)
    "bpf_task_work_callback_t": ptr_to(CType(Kind.FUNC, "bpf_task_work_callback_t",
                                             target=integer("int", 4, True))),
}


def _integer_from_words(words: list[str]) -> CType:
    unsigned = "unsigned" in words
    longs = words.count("long")
    if "char" in words:
        core = "char"
        name = ("unsigned char" if unsigned else "signed char") if (
            unsigned or "signed" in words) else "char"
    elif "short" in words:
        core = name = "short"
    elif longs >= 2:
        core = name = "long long"
    elif longs == 1:
        core = name = "long"
    else:
        core = name = "int"
    if core != "char" and unsigned:
        name = f"unsigned {core}"
    size, signed = INTEGER_TYPES[name]
    return integer(name, size, signed)


@dataclass(frozen=True, slots=True)
class Specifiers:
    base: CType
    tags: tuple[str, ...]  # type tags written before the first '*'


def _with_const(t: CType) -> CType:
    return CType(t.kind, t.name, t.size, t.signed, t.target, True, t.tags)


def parse_specifiers(ts: TokenStream, typedefs: Mapping[str, CType], what: str) -> Specifiers:
    """Declaration specifiers up to the declarator: the base type, qualifiers and type tags."""
    base: CType | None = None
    int_words: list[str] = []
    const = False
    tags: list[str] = []
    start = ts.peek()
    while True:
        tok = ts.peek()
        if tok.kind != "ident":
            break
        word = tok.text
        if word in _QUALIFIERS:
            const = const or word == "const"
        elif word in _IGNORED:
            pass
        elif word in _TAGS:
            tags.append(_TAGS[word])
        elif word == "__attribute__":
            ts.next()
            ts.skip_balanced("(", ")")
            continue
        elif word in _INT_WORDS and base is None:
            int_words.append(word)
        elif base is not None or int_words:
            break  # the declarator's name
        elif word in ("struct", "union", "enum"):
            ts.next()
            name = ts.expect_ident(f"a {word} tag name after '{word}'").text
            kind = {"struct": Kind.STRUCT, "union": Kind.UNION, "enum": Kind.ENUM}[word]
            base = CType(kind, name, 4 if kind is Kind.ENUM else 0)
            continue
        elif word == "void":
            base = VOID
        elif word in ("bool", "_Bool"):
            base = integer("bool", 1, False)
        elif word in typedefs:
            base = typedefs[word]
        elif word in INTEGER_TYPES:
            size, signed = INTEGER_TYPES[word]
            base = integer(word, size, signed)
        else:
            raise ParseError(ts.file, tok.line, tok.col,
                             f"unknown type name '{word}'; expected {what} type (void, an "
                             "integer such as u32, struct/union/enum X, or a typedef declared "
                             "earlier)")
        ts.next()
    if base is None:
        if not int_words:
            raise ts.error(f"{what} type", start)
        base = _integer_from_words(int_words)
    if const:
        base = _with_const(base)
    return Specifiers(base, tuple(tags))


@dataclass(frozen=True, slots=True)
class Declarator:
    name: str
    ctype: CType
    token: Token  # where the name (or the type, if unnamed) is
    params: tuple[tuple[str, CType], ...] | None = None  # for a function declarator
    variadic: bool = False


def _pointers(ts: TokenStream, ctype: CType, tags: tuple[str, ...]) -> CType:
    first = True
    while ts.accept("*"):
        ctype = ptr_to(ctype, tags if first else ())
        first = False
        while ts.peek().kind == "ident" and (ts.peek().text in _QUALIFIERS
                                             or ts.peek().text in _TAGS
                                             or ts.peek().text in _IGNORED):
            ts.next()
    return ctype


#: Function-pointer parameters nest at most this deep (our own limit: C has none, Python's
#: recursion does; the kernel's own headers nest 2).
MAX_NESTING = 32


def parse_params(ts: TokenStream, typedefs: Mapping[str, CType], depth: int = 0
                 ) -> tuple[tuple[tuple[str, CType], ...], bool]:
    """``( params )`` -> ((name, ctype)...), variadic. ``(void)`` and ``()`` have none."""
    if depth > MAX_NESTING:
        tok = ts.peek()
        raise ParseError(ts.file, tok.line, tok.col, f"function pointer parameters nested more "
                                                     f"than {MAX_NESTING} deep; expected fewer")
    ts.expect("(", "'(' to open the parameter list")
    if ts.accept(")"):
        return (), False
    if ts.at("void") and ts.at(")", 1):
        ts.next()
        ts.next()
        return (), False
    params: list[tuple[str, CType]] = []
    variadic = False
    while True:
        if ts.accept("..."):
            variadic = True
            ts.expect(")", "')' after '...' (nothing may follow it)")
            break
        spec = parse_specifiers(ts, typedefs, "a parameter")
        decl = parse_declarator(ts, spec, typedefs, allow_abstract=True, depth=depth + 1)
        params.append((decl.name, decl.ctype))
        if ts.accept(")"):
            break
        ts.expect(",", "',' or ')' in the parameter list")
    return tuple(params), variadic


def parse_declarator(ts: TokenStream, spec: Specifiers, typedefs: Mapping[str, CType],
                     allow_abstract: bool = False, depth: int = 0) -> Declarator:
    """Pointers, then a name, ``(*name)(params)`` or (``allow_abstract``) nothing; arrays decay."""
    ctype = _pointers(ts, spec.base, spec.tags)
    tok = ts.peek()
    # function pointer ret (*name)(params), or a function parameter ret (name)(params) that
    # decays to one (the kernel writes bpf_rbtree_add_impl's callback that way)
    bare_fn = ts.at("(") and ts.peek(1).kind == "ident" and ts.at(")", 2) and ts.at("(", 3)
    if ts.at("(") and (ts.at("*", 1) or bare_fn):
        ts.next()
        ts.accept("*")
        while ts.peek().kind == "ident" and ts.peek().text in _QUALIFIERS:
            ts.next()
        name_tok = ts.next() if ts.peek().kind == "ident" else tok
        ts.expect(")", "')' after the function pointer name")
        _params, _variadic = parse_params(ts, typedefs, depth)
        return Declarator(name_tok.text if name_tok is not tok else "",
                          ptr_to(CType(Kind.FUNC, "", target=ctype)), name_tok)
    name = ""
    if tok.kind == "ident":
        name = ts.next().text
    elif not allow_abstract:
        raise ts.error("a name")
    while ts.at("["):
        ts.skip_balanced("[", "]")
        ctype = ptr_to(ctype)
    return Declarator(name, ctype, tok)


@dataclass(frozen=True, slots=True)
class FuncDecl:
    """A function prototype or definition read from C text."""

    name: str
    ret: CType
    params: tuple[tuple[str, CType], ...]
    variadic: bool
    line: int
    col: int
    has_body: bool
    text: str  # the declaration as written, up to the body
    body: tuple[Token, ...] = ()  # tokens inside { }, for definitions


def parse_function(ts: TokenStream, typedefs: Mapping[str, CType],
                   allow_eof: bool = False) -> FuncDecl:
    """``specifiers declarator(params) [attributes] (';' | '{ body }')``; with ``allow_eof``
    the end of the input may stand for the ';'."""
    start = ts.pos
    spec = parse_specifiers(ts, typedefs, "a return")
    ret = _pointers(ts, spec.base, spec.tags)
    name_tok = ts.expect_ident("the function name")
    params, variadic = parse_params(ts, typedefs)
    end = ts.pos
    while ts.peek().kind == "ident" and (ts.peek().text in _IGNORED or
                                         ts.peek().text == "__attribute__"):
        if ts.next().text == "__attribute__":
            ts.skip_balanced("(", ")")
    text = " ".join(t.text for t in ts.tokens[start:end])
    body: list[Token] = []
    has_body = ts.at("{")
    if has_body:
        body = ts.skip_balanced("{", "}")
        ts.accept(";")
    elif not (allow_eof and ts.peek().kind == "eof"):
        ts.expect(";", f"';' or a body '{{ ... }}' after {name_tok.text}(...)")
    return FuncDecl(name_tok.text, ret, params, variadic, name_tok.line, name_tok.col, has_body,
                    _tidy(text), tuple(body))


def _tidy(text: str) -> str:
    text = re.sub(r"\s*([(),])\s*", r"\1", text)
    text = re.sub(r",", ", ", text)
    text = re.sub(r"\*\s+", "*", text)
    return text


def parse_function_text(text: str, file: str = "<declaration>",
                        typedefs: Mapping[str, CType] | None = None) -> FuncDecl:
    """Exactly one function prototype or definition (a trailing ``;`` is optional)."""
    if not isinstance(text, str):
        raise ParseError(file, 1, 1, f"expected the declaration as a string, found "
                                     f"{type(text).__name__}")
    ts = TokenStream(tokenize(text, file), file)
    decl = parse_function(ts, {**EXTRA_TYPEDEFS, **(typedefs or {})}, allow_eof=True)
    if ts.peek().kind != "eof":
        raise ts.error("end of the declaration")
    return decl
