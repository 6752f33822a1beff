"""Load kfunc definitions from kernel-style C text: the way the kfuncs doc writes them.

Understood at the top level (everything else is a ParseError saying what was expected):

- function prototypes and definitions, with ``__bpf_kfunc`` and other kernel attributes; a body
  (``{ ... }`` or real code) is skipped by balancing braces; ``...`` ends the parameters;
- ``BTF_SET8_START(x)`` / ``BTF_KFUNCS_START(x)``, ``BTF_ID_FLAGS(func, name[, FLAGS])``,
  ``BTF_SET8_END(x)`` / ``BTF_KFUNCS_END(x)`` (which macros exist depends on the profile);
- ``static const struct btf_kfunc_id_set s = { .owner = THIS_MODULE, .set = &x, .filter = f };``
- ``register_btf_kfunc_id_set(BPF_PROG_TYPE_X, &s)`` and ``register_btf_fmodret_id_set(&s)``,
  inside a function body (an init function) or on their own;
- no-op wrappers: ``__diag_push()``, ``__diag_ignore_all(...)``, ``__diag_pop()``,
  ``__bpf_kfunc_start_defs()``, initcalls such as ``late_initcall(f)``, ``BTF_ID_LIST`` ...;
- ``typedef``, ``struct x { ... };``, ``#`` lines (ignored: every ``#ifdef`` branch is read).

A kfunc named in ``BTF_ID_FLAGS`` but declared nowhere in the text gets its prototype from
``prototype_of(name)`` (for example backed by the kernel's BTF) or raises DeclarationError.

>>> kfuncs, reg = load_c('''
... struct task_struct *bpf_task_from_pid(s32 pid) { ... }
... BTF_KFUNCS_START(my_ids)
... BTF_ID_FLAGS(func, bpf_task_from_pid, KF_ACQUIRE | KF_RET_NULL)
... BTF_KFUNCS_END(my_ids)
... static const struct btf_kfunc_id_set my_set = { .owner = THIS_MODULE, .set = &my_ids };
... static int __init my_init(void)
... {
...     return register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL, &my_set);
... }
... late_initcall(my_init);
... ''')
>>> reg.lookup("bpf_task_from_pid", "SYSCALL").flags_text
'KF_ACQUIRE | KF_RET_NULL'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from kfunclab.ctype import CType
from kfunclab.errors import DeclarationError, ParseError
from kfunclab.kfuncs.ctext import (
    EXTRA_TYPEDEFS,
    FuncDecl,
    Token,
    TokenStream,
    parse_declarator,
    parse_function,
    parse_specifiers,
    tokenize,
)
from kfunclab.kfuncs.decl import Kfunc, from_funcdecl
from kfunclab.kfuncs.filters import make_filter
from kfunclab.kfuncs.flags import KF, flag_by_name, parse_flags
from kfunclab.kfuncs.hooks import canonical_prog_type
from kfunclab.kfuncs.idset import IdSet, KfuncFilter, KfuncIdSet
from kfunclab.kfuncs.profiles import KFUNCS_MACROS, Profile, get_profile
from kfunclab.kfuncs.registry import PrototypeOf, Registry
from kfunclab.kfuncs.validate import validate_kfunc

#: Top-level macro calls that say nothing about kfuncs.
NOOP_MACROS = frozenset({
    "__diag_push", "__diag_pop", "__diag_ignore_all", "__diag_ignore", "__bpf_kfunc_start_defs",
    "__bpf_kfunc_end_defs", "__bpf_hook_start", "__bpf_hook_end", "BTF_ID_LIST",
    "BTF_ID_LIST_SINGLE", "BTF_ID_LIST_GLOBAL", "BTF_ID_LIST_GLOBAL_SINGLE", "BTF_ID",
    "BTF_SET_START", "BTF_SET_END", "BTF_TYPE_EMIT", "EXPORT_SYMBOL", "EXPORT_SYMBOL_GPL",
    "MODULE_LICENSE", "MODULE_DESCRIPTION", "MODULE_AUTHOR", "ALLOW_ERROR_INJECTION",
    "late_initcall", "module_init", "module_exit", "fs_initcall", "core_initcall",
    "subsys_initcall", "device_initcall", "arch_initcall", "postcore_initcall", "initcall",
    "late_initcall_sync", "DEFINE_PER_CPU", "DECLARE_PER_CPU", "DEFINE_STATIC_KEY_FALSE",
    "DEFINE_BPF_DISPATCHER", "BTF_SOCK_TYPE_xxx", "BTF_TRACING_TYPE_xxx", "DEFINE_MUTEX",
})
_START = {"BTF_SET8_START": "set8", "BTF_KFUNCS_START": "kfuncs"}
_END = {"BTF_SET8_END", "BTF_KFUNCS_END"}
_REGISTER = "register_btf_kfunc_id_set"
_REGISTER_FMODRET = "register_btf_fmodret_id_set"
_MACRO_NAMES = sorted(NOOP_MACROS | set(_START) | _END | {"BTF_ID_FLAGS", _REGISTER,
                                                         _REGISTER_FMODRET})


class LoadedC(NamedTuple):
    """What :func:`load_c` returns: the kfuncs of the text's ID sets, and the registry."""

    kfuncs: dict[str, Kfunc]
    registry: Registry


@dataclass
class _OpenSet:
    name: str
    kind: str
    token: Token
    entries: list[tuple[str, KF, Token]] = field(default_factory=list)


@dataclass(frozen=True)
class _Call:
    prog_type: str | None  # None: register_btf_fmodret_id_set
    kset: str
    token: Token


class _Loader:
    def __init__(self, text: str, profile: Profile, file: str,
                 filters: Mapping[str, KfuncFilter] | None) -> None:
        self.file = file
        self.profile = profile
        self.ts = TokenStream(tokenize(text, file), file)
        self.typedefs: dict[str, CType] = dict(EXTRA_TYPEDEFS)
        self.decls: dict[str, FuncDecl] = {}
        self.static_funcs: set[str] = set()  # functions defined or declared `static`
        self.sets: dict[str, tuple[IdSet, list[Token]]] = {}
        self.ksets: dict[str, tuple[str, str | None, Token]] = {}  # name -> (set, filter, tok)
        self.calls: list[_Call] = []
        self.extra_filters = dict(filters or {})
        self.open: _OpenSet | None = None

    def error(self, tok: Token, message: str) -> ParseError:
        return ParseError(self.file, tok.line, tok.col, message)

    # --- the top level ------------------------------------------------------------------------

    def run(self) -> None:
        ts = self.ts
        while ts.peek().kind != "eof":
            tok = ts.peek()
            if tok.kind == "preproc" or ts.accept(";"):
                if tok.kind == "preproc":
                    ts.next()
                continue
            if tok.kind != "ident":
                raise ts.error("a declaration, a definition or a BTF_* macro")
            word = tok.text
            if word in _START:
                self._set_start(word)
            elif word in _END:
                self._set_end(word)
            elif word == "BTF_ID_FLAGS":
                self._id_flags()
            elif word in (_REGISTER, _REGISTER_FMODRET):
                self._register_call(ts)
                ts.expect(";", "';' after the registration call")
            elif word in NOOP_MACROS:
                ts.next()
                if ts.at("("):
                    ts.skip_balanced("(", ")")
                ts.accept(";")
            elif word == "typedef":
                self._typedef()
            elif ts.at("(", 1) and word not in self.typedefs:
                close = difflib.get_close_matches(word, _MACRO_NAMES, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise self.error(tok, f"unknown macro '{word}'; {hint}expected a declaration, "
                                      "BTF_KFUNCS_START/BTF_SET8_START, BTF_ID_FLAGS, "
                                      "register_btf_kfunc_id_set or a known no-op macro")
            else:
                self._declaration()
        if self.open is not None:
            raise self.error(self.open.token, f"{self.open.name} is never closed; expected "
                                              f"{_end_macro(self.open.kind)}({self.open.name})")

    # --- BTF ID sets --------------------------------------------------------------------------

    def _macro_args(self) -> tuple[Token, list[list[Token]]]:
        ts = self.ts
        name = ts.next()
        if not ts.at("("):
            raise ts.error(f"'(' after {name.text}")
        inner = ts.skip_balanced("(", ")")
        ts.accept(";")
        args: list[list[Token]] = [[]]
        depth = 0
        for t in inner:
            if t.text in ("(", "[", "{"):
                depth += 1
            elif t.text in (")", "]", "}"):
                depth -= 1
            if t.text == "," and depth == 0:
                args.append([])
            else:
                args[-1].append(t)
        return name, args if inner else []

    def _check_macro_known(self, tok: Token) -> None:
        if tok.text not in self.profile.set_macros:
            other = "BTF_SET8" if tok.text.startswith("BTF_KFUNCS") else "BTF_KFUNCS"
            alt = f"{other}_{tok.text.rsplit('_', 1)[1]}"
            note = ("it came in 6.9 with \"bpf: treewide: Annotate BPF kfuncs in BTF\""
                    if tok.text in KFUNCS_MACROS else "")
            raise self.error(tok, f"{tok.text} is not known in {self.profile.name}"
                                  f"{': ' + note if note else ''}; expected {alt}")

    def _single_name(self, tok: Token, args: list[list[Token]]) -> str:
        if len(args) != 1 or len(args[0]) != 1 or args[0][0].kind != "ident":
            raise self.error(tok, f"expected {tok.text}(set_name)")
        return args[0][0].text

    def _set_start(self, word: str) -> None:
        tok, args = self._macro_args()
        self._check_macro_known(tok)
        name = self._single_name(tok, args)
        if self.open is not None:
            raise self.error(tok, f"{word}({name}) inside {self.open.name}; expected "
                                  f"{_end_macro(self.open.kind)}({self.open.name}) first")
        if name in self.sets:
            raise self.error(tok, f"ID set {name} is defined twice; expected a new name")
        self.open = _OpenSet(name, _START[word], tok)

    def _set_end(self, word: str) -> None:
        tok, args = self._macro_args()
        self._check_macro_known(tok)
        name = self._single_name(tok, args)
        if self.open is None or self.open.name != name:
            opened = f"{self.open.name} is open" if self.open else "no set is open"
            raise self.error(tok, f"{word}({name}) does not close an open set ({opened}); "
                                  f"expected {word} to name the set of the matching *_START")
        s = self.open
        self.sets[name] = (IdSet(name, tuple((n, f) for n, f, _ in s.entries), s.kind),  # type: ignore[arg-type]
                           [t for _, _, t in s.entries])
        self.open = None

    def _id_flags(self) -> None:
        tok, args = self._macro_args()
        if self.open is None:
            raise self.error(tok, "BTF_ID_FLAGS outside an ID set; expected it between "
                                  "BTF_KFUNCS_START(x) and BTF_KFUNCS_END(x)")
        if len(args) not in (2, 3) or [t.text for t in args[0]] != ["func"]:
            raise self.error(tok, "expected BTF_ID_FLAGS(func, name) or "
                                  "BTF_ID_FLAGS(func, name, FLAGS)")
        if len(args[1]) != 1 or args[1][0].kind != "ident":
            raise self.error(tok, "expected a function name as BTF_ID_FLAGS' second argument")
        name_tok = args[1][0]
        flags = KF(0)
        if len(args) == 3:
            flags = self._flags(args[2], tok, name_tok.text)
        if any(n == name_tok.text for n, _, _ in self.open.entries):
            raise self.error(name_tok, f"{name_tok.text} is listed twice in {self.open.name}")
        self.open.entries.append((name_tok.text, flags, name_tok))

    def _flags(self, tokens: list[Token], at: Token, kfunc: str) -> KF:
        for t in tokens:
            flag = flag_by_name(t.text) if t.kind == "ident" else None
            if flag is not None and flag not in self.profile.flags:
                note = self.profile.flag_note(flag) or "it does not exist there"
                raise self.error(t, f"{t.text} is not a flag of {self.profile.name}: {note}")
        try:
            return parse_flags(" ".join(t.text for t in tokens), kfunc)
        except DeclarationError as e:
            where = tokens[0] if tokens else at
            raise self.error(where, e.message) from None

    # --- struct btf_kfunc_id_set and registrations --------------------------------------------

    def _kfunc_id_set(self) -> None:
        ts = self.ts
        while not ts.at("="):
            if ts.peek().kind == "eof" or ts.at(";"):  # no initializer: nothing to register
                raise ts.error("'= { .owner = ..., .set = &ids }' to initialize the "
                               "struct btf_kfunc_id_set")
            ts.next()
        name_tok = ts.tokens[ts.pos - 1]
        ts.next()
        if not ts.at("{"):
            raise ts.error("'{' to start the struct btf_kfunc_id_set initializer")
        brace = ts.peek()
        inner = TokenStream([*ts.skip_balanced("{", "}"), Token("eof", "", brace.line,
                                                                brace.col)], self.file)
        ts.expect(";", "';' after the initializer")
        set_name, filter_name = None, None
        while inner.peek().kind != "eof":
            inner.expect(".", "a designated field such as .owner, .set or .filter")
            field_tok = inner.expect_ident("a field name (.owner, .set, .filter)")
            inner.expect("=", f"'=' after .{field_tok.text}")
            if field_tok.text == "owner":
                inner.expect_ident("THIS_MODULE or a module")
            elif field_tok.text == "set":
                inner.expect("&", "'&' before the ID set name (.set = &name)")
                set_name = inner.expect_ident("the ID set name").text
            elif field_tok.text == "filter":
                filter_name = inner.expect_ident("the filter function's name").text
            else:
                raise self.error(field_tok, f"struct btf_kfunc_id_set has no field "
                                            f".{field_tok.text}; expected .owner, .set or .filter")
            if not inner.accept(","):
                break
        if inner.peek().kind != "eof":
            raise inner.error("',' or '}' in the initializer")
        if set_name is None:
            raise self.error(name_tok, f"{name_tok.text} has no .set; expected .set = &ids")
        self.ksets[name_tok.text] = (set_name, filter_name, name_tok)

    def _register_call(self, ts: TokenStream) -> None:
        fn = ts.next()
        if not ts.at("("):
            raise ts.error(f"'(' after {fn.text}")
        inner = TokenStream([*ts.skip_balanced("(", ")"), Token("eof", "", fn.line, fn.col)],
                            self.file)
        prog_type: str | None = None
        if fn.text == _REGISTER:
            ptok = inner.expect_ident("a BPF_PROG_TYPE_* program type")
            try:
                prog_type = canonical_prog_type(ptok.text, where=fn.text)
            except DeclarationError as e:
                raise self.error(ptok, e.message) from None
            inner.expect(",", "',' between the program type and the set")
        inner.expect("&", "'&' before the btf_kfunc_id_set name")
        kset = inner.expect_ident("a struct btf_kfunc_id_set name").text
        if inner.peek().kind != "eof":
            raise inner.error("')' after the set")
        self.calls.append(_Call(prog_type, kset, fn))

    # --- declarations -------------------------------------------------------------------------

    def _typedef(self) -> None:
        ts = self.ts
        ts.next()
        spec = parse_specifiers(ts, self.typedefs, "a typedef's")
        if ts.at("{"):
            ts.skip_balanced("{", "}")
        decl = parse_declarator(ts, spec, self.typedefs)
        ts.expect(";", f"';' after typedef {decl.name}")
        self.typedefs[decl.name] = decl.ctype

    def _declaration(self) -> None:
        ts = self.ts
        k = 0
        while ts.peek(k).text in ("static", "extern", "const", "__read_mostly"):
            k += 1
        if ts.peek(k).text in NOOP_MACROS and ts.at("(", k + 1):  # static DEFINE_PER_CPU(...);
            for _ in range(k + 1):
                ts.next()
            ts.skip_balanced("(", ")")
            ts.accept(";")
            return
        head = []  # the words before the name: storage class, attributes, return type
        while len(head) < 32 and ts.peek(len(head)).text not in ("(", ";", "{", "="):
            head.append(ts.peek(len(head)).text)
        # __bpf_kfunc (__used noinline, later __retain __noclone) keeps even a static kfunc
        is_static = "static" in head[:k + 1] and "__bpf_kfunc" not in head
        kind, saw = self._classify()
        if kind == "function":
            decl = parse_function(ts, self.typedefs)
            self._add_decl(decl)
            if is_static:
                self.static_funcs.add(decl.name)
            for i, t in enumerate(decl.body):
                if t.kind == "ident" and t.text in (_REGISTER, _REGISTER_FMODRET):
                    self._register_in_body(decl.body, i)
            return
        if kind == "variable" and "btf_kfunc_id_set" in saw:
            self._kfunc_id_set()
            return
        # struct/union/enum definitions and other variables: skip to the ';' at depth 0
        while not ts.at(";"):
            if ts.peek().kind == "eof":
                raise ts.error("';' to end the declaration")
            if ts.at("{"):
                ts.skip_balanced("{", "}")
            elif ts.at("("):
                ts.skip_balanced("(", ")")
            else:
                ts.next()
        ts.next()

    def _classify(self) -> tuple[str, set[str]]:
        """Look ahead: 'function' ('(' before '='/';'/'{'), 'variable' or 'other'."""
        saw: set[str] = set()
        k = 0
        while True:
            tok = self.ts.peek(k)
            if tok.kind == "eof" or tok.text == ";":
                return "variable", saw
            if tok.text == "=":
                return "variable", saw
            if tok.text == "{":
                return "other", saw
            if tok.text == "(":
                nxt = self.ts.peek(k + 1)
                return ("function" if nxt.text != "*" else "variable"), saw
            saw.add(tok.text)
            k += 1

    def _register_in_body(self, body: tuple[Token, ...], i: int) -> None:
        sub = TokenStream([*body[i:], Token("eof", "", body[-1].line, body[-1].col)], self.file)
        self._register_call(sub)

    def _add_decl(self, decl: FuncDecl) -> None:
        old = self.decls.get(decl.name)
        if old is not None and (old.ret, old.params) != (decl.ret, decl.params):
            raise ParseError(self.file, decl.line, decl.col,
                             f"{decl.name} is declared twice with different prototypes; expected "
                             f"the same as at line {old.line}")
        if old is None or decl.has_body:
            self.decls[decl.name] = decl

    # --- the result ---------------------------------------------------------------------------

    def kfunc_of(self, name: str, flags: KF, prototype_of: PrototypeOf | None,
                 tok: Token) -> Kfunc:
        decl = self.decls.get(name)
        if decl is not None and name in self.static_funcs:
            # section 2.1: a static function may be inlined or dropped, and then it never reaches
            # BTF. The kernel checks nothing here (a lint); __bpf_kfunc removes the risk.
            raise DeclarationError(name, f"{self.file}:{decl.line}: a kfunclab lint, not a "
                                   "kernel check: 'static' without __bpf_kfunc lets the compiler "
                                   "inline or drop the function, so it may never reach BTF and "
                                   "BTF_ID_FLAGS could not name it (mark it __bpf_kfunc, or "
                                   "remove 'static')")
        if decl is not None:
            return from_funcdecl(decl, flags, self.profile,
                                 source=f"{self.file}:{decl.line}")
        found = prototype_of(name) if prototype_of is not None else None
        if found is None:
            raise DeclarationError(name, f"is listed in BTF_ID_FLAGS at {self.file}:{tok.line} "
                                         "but declared nowhere; expected its prototype or "
                                         "definition in the text (or a prototype_of resolver, "
                                         "e.g. backed by BTF)")
        return found.with_flags(flags)

    def kset(self, call: _Call, kfuncs: Mapping[str, Kfunc]) -> KfuncIdSet:
        if call.kset not in self.ksets:
            raise self.error(call.token, f"no struct btf_kfunc_id_set called {call.kset}; "
                                         "expected it to be defined in the text")
        set_name, filter_name, tok = self.ksets[call.kset]
        if set_name not in self.sets:
            raise self.error(tok, f"{call.kset}.set = &{set_name}, but there is no ID set "
                                  f"{set_name}; expected BTF_KFUNCS_START({set_name}) ... "
                                  f"BTF_KFUNCS_END({set_name})")
        idset = self.sets[set_name][0]
        flt: KfuncFilter | None = None
        if filter_name is not None:
            flt = self.extra_filters.get(filter_name)
            if flt is None:
                try:
                    flt = make_filter(filter_name, idset.names)
                except DeclarationError as e:
                    raise self.error(tok, f"filter {e.declaration} {e.message}") from None
        return KfuncIdSet("THIS_MODULE", idset, flt, filter_name or "")


def _end_macro(kind: str) -> str:
    return "BTF_SET8_END" if kind == "set8" else "BTF_KFUNCS_END"


def load_c(text: str, profile: Profile | str | None = None, *,
           prototype_of: PrototypeOf | None = None, file: str = "<kfuncs>",
           filters: Mapping[str, KfuncFilter] | None = None) -> LoadedC:
    """Read kfunc definitions, ID sets and registrations from C text.

    Returns ``(kfuncs, registry)``: every kfunc listed in an ID set (with that set's flags,
    checked against ``profile``) and a :class:`Registry` holding the registrations the text
    performs. Raises ParseError (file:line:col) for text it cannot read and DeclarationError
    for declarations or registrations the kernel would refuse.
    """
    prof = get_profile(profile)
    loader = _Loader(text, prof, file, filters)
    loader.run()
    kfuncs: dict[str, Kfunc] = {}
    for idset, tokens in loader.sets.values():
        for (name, flags), tok in zip(idset.entries, tokens, strict=True):
            k = loader.kfunc_of(name, flags, prototype_of, tok)
            validate_kfunc(k, prof, flags)
            kfuncs.setdefault(name, k)
    registry = Registry(prof, prototype_of)
    for name, decl in loader.decls.items():
        registry.declare(kfuncs.get(name) or from_funcdecl(decl, KF(0), prof,
                                                           source=f"{file}:{decl.line}"))
    for call in loader.calls:
        kset = loader.kset(call, kfuncs)
        try:
            if call.prog_type is None:
                registry.register_fmodret(kset, kfuncs)
            else:
                registry.register(call.prog_type, kset, kfuncs)
        except DeclarationError as e:
            raise DeclarationError(e.declaration, f"{e.message} (registered at "
                                                  f"{file}:{call.token.line})") from None
    return LoadedC(kfuncs, registry)


__all__ = ["NOOP_MACROS", "LoadedC", "load_c"]
