"""Header directives of a program file: ``# SEC``, ``# LICENSE``, ``# CAPS``, ``# TYPE``, ``# MAP``.

The comment lines before a file's first instruction say how it is loaded (see
``docs/program-format.md``). :class:`HeaderParser` takes those lines one by one and builds the
:class:`Header`; every mistake is a :class:`~kfunclab.errors.ParseError` at the column of the
offending word. Struct layout follows the kernel-verdict tool: members at natural offsets
(alignment = size, ``struct bpf_spin_lock`` 4), size rounded up to the largest alignment; the Nth
``TYPE:`` struct is program BTF id N and structs written inline in ``MAP:`` lines come next.

>>> hp = HeaderParser("p.s")
>>> for n, text in enumerate(['SEC("xdp")', 'TYPE: struct pair { u32 a; u64 b; }'], start=1):
...     _ = hp.feed(n, 3, text)
>>> h = hp.finish()
>>> h.section, [(m.name, m.offset) for m in h.types[0].members], h.types[0].size
('xdp', [('a', 0), ('b', 8)], 16)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kfunclab.errors import ParseError
from kfunclab.isa.helpers import is_map_type
from kfunclab.isa.program import LocalStruct, MapDecl, Member, MemberKind, TypeRef

#: Integer type names a TYPE:/MAP: line may use -> (size, signed); the kernel-verdict tool's set.
INT_TYPES: dict[str, tuple[int, bool]] = {
    **dict.fromkeys(("u8", "__u8", "unsigned char"), (1, False)),
    **dict.fromkeys(("s8", "__s8", "char", "signed char"), (1, True)),
    **dict.fromkeys(("u16", "__u16", "unsigned short"), (2, False)),
    **dict.fromkeys(("s16", "__s16", "short"), (2, True)),
    **dict.fromkeys(("u32", "__u32", "unsigned int", "unsigned"), (4, False)),
    **dict.fromkeys(("s32", "__s32", "int"), (4, True)),
    **dict.fromkeys(("u64", "__u64", "unsigned long", "unsigned long long"), (8, False)),
    **dict.fromkeys(("s64", "__s64", "long", "long long"), (8, True)),
}
_INT_WORDS = frozenset(w for name in INT_TYPES for w in name.split())

#: Linux capability names (include/uapi/linux/capability.h), lower case.
CAPABILITIES = frozenset((
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid",
    "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable",
    "cap_net_bind_service", "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock",
    "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
    "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource",
    "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write",
    "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog",
    "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
    "cap_checkpoint_restore",
))

_KPTR_TAGS = {"__kptr": MemberKind.KPTR, "__kptr_untrusted": MemberKind.KPTR_UNTRUSTED,
              "__kptr_ref": MemberKind.KPTR_REF, "__percpu_kptr": MemberKind.PERCPU_KPTR}
_DIRECTIVE_RE = re.compile(r"(SEC|LICENSE)\s*\(|(CAPS|TYPE|MAP)\s*:")
_QUOTED_CALL_RE = re.compile(r'\s*\(\s*"([^"\\]*)"\s*\)')  # text after it is a comment
_C_TOKEN_RE = re.compile(r"\s*([A-Za-z_]\w*|\S)")
_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
SPIN_LOCK = "bpf_spin_lock"
TIMER = "bpf_timer"


def directive_keyword(body: str) -> str | None:
    """The directive a comment's text starts with (``"SEC"``, ``"MAP"``, ...), else None.

    >>> directive_keyword('MAP: m array key=u32 value=u64'), directive_keyword('just a note')
    ('MAP', None)
    """
    m = _DIRECTIVE_RE.match(body)
    return (m.group(1) or m.group(2)) if m else None


@dataclass(frozen=True, slots=True)
class Header:
    """What the header directives say: the loader's view of the program."""

    section: str | None
    license: str = "GPL"
    dropped_caps: frozenset[str] = frozenset()
    types: tuple[LocalStruct, ...] = ()
    maps: tuple[MapDecl, ...] = ()


@dataclass(slots=True)
class _Text:
    """A piece of a line and the 1-based column of each of its characters (for messages)."""

    text: str
    cols: list[int]

    @classmethod
    def at(cls, text: str, col: int) -> _Text:
        return cls(text, list(range(col, col + len(text))))

    def col(self, index: int) -> int:
        if not self.cols:
            return 1
        return self.cols[index] if index < len(self.cols) else self.cols[-1] + 1

    def sub(self, start: int, end: int | None = None) -> _Text:
        end = len(self.text) if end is None else end
        return _Text(self.text[start:end], self.cols[start:end])


@dataclass(slots=True)
class _PendingMap:
    name: str
    map_type: str
    key: _Text
    value: _Text
    max_entries: int
    flags: int
    line: int


@dataclass
class HeaderParser:
    """Collects header directive lines; :meth:`finish` lays out the structs and maps."""

    file: str
    section: str | None = None
    license: str | None = None
    dropped_caps: set[str] = field(default_factory=set)
    _first: dict[str, int] = field(default_factory=dict)
    _types: list[tuple[int, _Text]] = field(default_factory=list)
    _maps: list[_PendingMap] = field(default_factory=list)

    def error(self, line: int, col: int, message: str) -> ParseError:
        return ParseError(self.file, line, col, message)

    def feed(self, line: int, col: int, body: str) -> bool:
        """Take the text ``body`` of a comment (starting at ``col``); False if no directive."""
        keyword = directive_keyword(body)
        if keyword is None:
            return False
        text = _Text.at(body.rstrip(), col)
        rest = text.sub(len(keyword))
        if keyword in ("SEC", "LICENSE"):
            value = self._quoted_call(line, keyword, rest)
            previous = self.section if keyword == "SEC" else self.license
            if keyword in self._first and value != previous:
                # the same directive twice is harmless (a comment may quote it); two values is
                # ambiguous, though the kernel-verdict tool would take the last one
                raise self.error(line, col, f'conflicting {keyword}("{value}"): line '
                                            f'{self._first[keyword]} says "{previous}"')
            self._first.setdefault(keyword, line)
            if keyword == "SEC":
                self.section = value
            else:
                self.license = value
            return True
        colon = rest.text.index(":")
        rest = rest.sub(colon + 1)
        if keyword == "CAPS":
            self._caps(line, rest)
        elif keyword == "TYPE":
            self._types.append((line, rest))
        else:
            self._map(line, rest)
        return True

    def _quoted_call(self, line: int, keyword: str, rest: _Text) -> str:
        m = _QUOTED_CALL_RE.match(rest.text)
        if m is None:
            found = rest.text.strip() or "end of line"
            raise self.error(line, rest.col(0), f'expected {keyword}("..."), found {found!r}')
        if keyword == "SEC" and not m.group(1):
            raise self.error(line, rest.col(m.start(1)), "expected a section name in SEC(\"\")")
        return m.group(1)

    def _caps(self, line: int, rest: _Text) -> None:
        for m in re.finditer(r"[^,\s]+", rest.text):
            word, col = m.group(), rest.col(m.start())
            if not word.startswith("-"):
                raise self.error(line, col, "expected '-cap_name' (a capability to drop), "
                                            f"found {word!r}")
            name = word[1:].lower()
            name = name if name.startswith("cap_") else "cap_" + name
            if name not in CAPABILITIES:
                raise self.error(line, col + 1, f"expected a capability name, found {word[1:]!r}")
            self.dropped_caps.add(name)

    def _map(self, line: int, rest: _Text) -> None:
        words = _shell_words(rest, lambda c, msg: self.error(line, c, msg))
        if not words:
            raise self.error(line, rest.col(len(rest.text)), "expected 'NAME TYPE key=K value=V "
                                                              "[max_entries=N] [flags=N]'")
        if len(words) < 2:
            raise self.error(line, words[0].col(len(words[0].text)),
                             "expected a map type after the map name, found end of line")
        name, map_type = words[0], words[1]
        if not _IDENT_RE.fullmatch(name.text):
            raise self.error(line, name.col(0), f"expected a map name, found {name.text!r}")
        if any(m.name == name.text for m in self._maps):
            first = next(m.line for m in self._maps if m.name == name.text)
            raise self.error(line, name.col(0),
                             f"map {name.text!r} declared twice (first at line {first})")
        if not is_map_type(map_type.text):
            raise self.error(line, map_type.col(0), "expected a map type (bpf_map_type in lower "
                             f"case without BPF_MAP_TYPE_, e.g. array), found {map_type.text!r}")
        fields: dict[str, _Text] = {}
        for word in words[2:]:
            key, eq, _ = word.text.partition("=")
            if not eq or key not in ("key", "value", "max_entries", "flags"):
                raise self.error(line, word.col(0), "expected key=, value=, max_entries= or "
                                                    f"flags=, found {word.text!r}")
            if key in fields:
                raise self.error(line, word.col(0), f"duplicate {key}= in MAP {name.text}")
            fields[key] = word.sub(len(key) + 1)
        for required in ("key", "value"):
            if required not in fields:
                raise self.error(line, rest.col(len(rest.text)),
                                 f"expected {required}= in MAP {name.text}")
        self._maps.append(_PendingMap(
            name.text, map_type.text, fields["key"], fields["value"],
            self._number(line, fields.get("max_entries"), 1),
            self._number(line, fields.get("flags"), 0), line))

    def _number(self, line: int, text: _Text | None, default: int) -> int:
        if text is None:
            return default
        try:
            value = int(text.text, 0)
        except ValueError:
            value = -1
        if not 0 <= value < 1 << 32:
            raise self.error(line, text.col(0),
                             f"expected an unsigned 32-bit number, found {text.text!r}")
        return value

    def finish(self) -> Header:
        """Lay out the TYPE: structs (ids 1..N), then the structs written inline in MAP: lines."""
        structs: dict[str, LocalStruct] = {}
        defined_at: dict[str, int] = {}
        for line, text in self._types:
            self._define(structs, defined_at, line, text)
        for m in self._maps:
            for ref in (m.key, m.value):
                if "{" in ref.text:
                    self._define(structs, defined_at, m.line, ref)
        maps = tuple(
            MapDecl(m.name, m.map_type, self._type_ref(structs, m.line, m.key),
                    self._type_ref(structs, m.line, m.value), m.max_entries, m.flags)
            for m in self._maps)
        types = tuple(s for s in structs.values() if s.btf_id <= len(self._types))
        return Header(self.section, self.license if self.license is not None else "GPL",
                      frozenset(self.dropped_caps), types, maps)

    def _define(self, structs: dict[str, LocalStruct], defined_at: dict[str, int], line: int,
                text: _Text) -> None:
        struct = _StructParser(self, line, text).parse(len(structs) + 1)
        if struct.name in structs or struct.name == SPIN_LOCK:
            where = f" (first at line {defined_at[struct.name]})" if struct.name in structs else ""
            raise self.error(line, text.col(text.text.index(struct.name)),
                             f"struct {struct.name} defined twice{where}")
        structs[struct.name] = struct
        defined_at[struct.name] = line

    def _type_ref(self, structs: dict[str, LocalStruct], line: int, text: _Text) -> TypeRef:
        words = " ".join(text.text.split())
        if words in INT_TYPES:
            return TypeRef(words, INT_TYPES[words][0])
        m = re.fullmatch(r"struct\s+([A-Za-z_]\w*)\s*(\{.*\})?\s*;?", words)
        if m is None:
            raise self.error(line, text.col(0), "expected an integer type, 'struct NAME' or "
                                                f"'struct NAME {{ members }}', found {words!r}")
        struct = structs.get(m.group(1))
        if struct is None:
            raise self.error(line, text.col(text.text.index(m.group(1))),
                             f"struct {m.group(1)} is not declared by a TYPE: line")
        return TypeRef(struct.name, struct.size, struct)


class _StructParser:
    """``struct NAME { members }`` of a TYPE: line or an inline MAP: key/value."""

    def __init__(self, header: HeaderParser, line: int, text: _Text) -> None:
        self.header, self.line, self.text = header, line, text
        # rstrip: trailing blanks would make \s* match and fail at each of them (quadratic)
        self.tokens = [(m.group(1), m.start(1))
                       for m in _C_TOKEN_RE.finditer(text.text.rstrip())]
        self.pos = 0
        self.name_at = 0  # token index of the last member name (for duplicate-name errors)

    def fail(self, expected: str) -> ParseError:
        if self.pos < len(self.tokens):
            tok, start = self.tokens[self.pos]
            found = repr(tok)
        else:
            start, found = len(self.text.text.rstrip()), "end of line"
        return self.header.error(self.line, self.text.col(start), f"expected {expected}, "
                                                                  f"found {found}")

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self, expected: str, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want) or (
                want is None and not _IDENT_RE.fullmatch(tok)):
            raise self.fail(expected)
        self.pos += 1
        return tok

    def parse(self, btf_id: int) -> LocalStruct:
        self.take("'struct NAME { members }'", "struct")
        name = self.take("a struct name")
        self.take("'{'", "{")
        members: list[Member] = []
        offset, align = 0, 1
        while self.peek() != "}":
            if self.peek() is None:
                raise self.fail("'}'")
            member = self.member()
            if any(m.name == member.name for m in members):
                raise self.header.error(self.line, self.text.col(self.tokens[self.name_at][1]),
                                        f"duplicate member {member.name!r} in struct {name}")
            member_align = {MemberKind.SPIN_LOCK: 4, MemberKind.TIMER: 8}.get(member.kind,
                                                                             member.size)
            offset = -(-offset // member_align) * member_align
            members.append(Member(member.name, member.kind, member.size, offset,
                                  member.type_name, member.signed))
            offset += member.size
            align = max(align, member_align)
        self.pos += 1
        if self.peek() == ";":
            self.pos += 1
        if self.peek() is not None:
            raise self.fail("end of the struct")
        return LocalStruct(name, tuple(members), -(-offset // align) * align, btf_id)

    def member(self) -> Member:
        """One ``TYPE name;`` (the ';' may be left out before '}')."""
        first = self.peek()
        if first == "struct":
            self.pos += 1
            target = self.take("a struct name")
            tag = self.peek()
            kind = MemberKind.PTR
            if tag in _KPTR_TAGS:
                kind = _KPTR_TAGS[tag]
                self.pos += 1
            if self.peek() == "*":
                self.pos += 1
                member = Member(self.member_name(), kind, 8, 0, target)
            elif target == SPIN_LOCK and kind is MemberKind.PTR:
                member = Member(self.member_name(), MemberKind.SPIN_LOCK, 4, 0, SPIN_LOCK)
            elif target == TIMER and kind is MemberKind.PTR:
                member = Member(self.member_name(), MemberKind.TIMER, 16, 0, TIMER)
            else:
                raise self.fail(f"'*' (struct {target} members must be pointers; only "
                                f"struct {SPIN_LOCK} and struct {TIMER} are embedded)")
        else:
            words = []
            while self.peek() in _INT_WORDS and self.peek_next_is_type_word(words):
                words.append(self.take("a type"))
            type_name = " ".join(words)
            if type_name not in INT_TYPES:
                if words:
                    self.pos -= len(words)
                raise self.fail("a member type (an integer type, 'struct X *', "
                                f"'struct X __kptr *' or 'struct {SPIN_LOCK}')")
            size, signed = INT_TYPES[type_name]
            member = Member(self.member_name(), MemberKind.INT, size, 0, type_name, signed)
        if self.peek() == ";":
            self.pos += 1
        elif self.peek() != "}":
            raise self.fail("';' after the member (arrays, bitfields and initialisers are not "
                            "supported)" if self.peek() in ("[", ":", "=") else "';'")
        return member

    def peek_next_is_type_word(self, words: list[str]) -> bool:
        """Take ``long`` of ``long long x`` as a type word, but not ``long`` in ``int long;``."""
        following = self.tokens[self.pos + 1][0] if self.pos + 1 < len(self.tokens) else None
        return following is not None and _IDENT_RE.fullmatch(following) is not None

    def member_name(self) -> str:
        self.name_at = self.pos
        return self.take("a member name")


def _shell_words(text: _Text, error: Callable[[int, str], ParseError]) -> list[_Text]:
    """Split like a POSIX shell (quotes group, backslash escapes), keeping source columns."""
    words: list[_Text] = []
    chars: list[str] = []
    cols: list[int] = []
    in_word = False
    quote: str | None = None
    quote_col = 0
    i, s = 0, text.text
    while i < len(s):
        c = s[i]
        if quote is not None:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < len(s) and s[i + 1] in '"\\$`':
                i += 1
                chars.append(s[i])
                cols.append(text.col(i))
            else:
                chars.append(c)
                cols.append(text.col(i))
        elif c in "\"'":
            quote, quote_col, in_word = c, text.col(i), True
        elif c == "\\" and i + 1 < len(s):
            i += 1
            chars.append(s[i])
            cols.append(text.col(i))
            in_word = True
        elif c.isspace():
            if in_word:
                words.append(_Text("".join(chars), cols))
                chars, cols, in_word = [], [], False
        else:
            chars.append(c)
            cols.append(text.col(i))
            in_word = True
        i += 1
    if quote is not None:
        raise error(quote_col, f"expected a closing {quote} (quote opened here)")
    if in_word:
        words.append(_Text("".join(chars), cols))
    return words
