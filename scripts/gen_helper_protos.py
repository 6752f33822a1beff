#!/usr/bin/env python3
"""Write kfunclab/data/helper-protos.json: every helper's ``struct bpf_func_proto``, as data.

Reads a Linux source tree (a checkout or an unpacked ``linux-source-X`` package) given on the
command line and records, for every helper of ``enum bpf_func_id``:

- each ``bpf_func_proto`` a ``get_func_proto()`` table returns for it: return and argument types
  split into a base type and flags (``ARG_PTR_TO_UNINIT_MEM`` is ``ARG_PTR_TO_MEM`` with
  ``MEM_UNINIT | MEM_WRITE``, from the aliases of ``enum bpf_arg_type``), the BTF struct an
  ``argN_btf_id``/``ret_btf_id`` names, ``argN_size``, ``gpl_only``, ``might_sleep``,
  ``pkt_access``, and the file it is defined in;
- the program types whose ``get_func_proto()`` returns it (``include/linux/bpf_types.h`` ->
  ``*_verifier_ops`` -> ``.get_func_proto``, following each table's fallbacks such as
  ``bpf_base_func_proto()``), whether the case is conditional (an ``if`` or ``?:`` decides), and
  the capability a ``bpf_base_func_proto()`` section needs (CAP_BPF, CAP_PERFMON).

Only facts (type names, flags, which table lists which helper) are written; no kernel text.

Usage::

    python scripts/gen_helper_protos.py /path/to/linux [--out kfunclab/data/helper-protos.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kfunclab.isa.helpers import HELPER_IDS  # noqa: E402

SOURCE_DIRS = ("kernel", "net", "security", "drivers/media/rc")
PROTO_RE = re.compile(r"(?:static\s+)?(?:const\s+)?struct\s+bpf_func_proto\s+(\w+)\s*=\s*"
                      r"\{(.*?)\n\s*\};", re.S)
FUNC_RE = re.compile(r"^(?:static\s+)?(?:__\w+\s+)*const\s+struct\s+bpf_func_proto\s*\*\s*\n?\s*"
                     r"(\w+)\s*\(([^)]*)\)\s*\{", re.M)
CASE_RE = re.compile(r"\bcase\s+BPF_FUNC_(\w+)\s*:|\bdefault\s*:")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def body_at(text: str, start: int) -> str:
    """The text between the brace at ``start`` and its match."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return text[start + 1:]


def enum_aliases(bpf_h: str, enum: str) -> dict[str, list[str]]:
    """``ARG_X = FLAG | FLAG | ARG_Y`` lines of ``enum bpf_arg_type`` / ``bpf_return_type``."""
    m = re.search(r"enum\s+" + enum + r"\s*\{", bpf_h)
    body = body_at(bpf_h, m.end() - 1) if m else ""
    out: dict[str, list[str]] = {}
    for name, value in re.findall(r"(\w+)\s*=\s*([^,]+),", strip_comments(body)):
        parts = [p.strip() for p in value.split("|")]
        if all(re.fullmatch(r"[A-Z_0-9]+", p) for p in parts) and len(parts) > 1:
            out[name] = parts
    return out


def split_type(value: str, aliases: dict[str, list[str]]) -> tuple[str, list[str]]:
    """``ARG_PTR_TO_UNINIT_MEM | MEM_ALIGNED`` -> (``ARG_PTR_TO_MEM``, [flags])."""
    parts = [p.strip() for p in value.split("|")]
    flags: list[str] = []
    base = ""
    todo = list(parts)
    while todo:
        p = todo.pop(0)
        if p in aliases:
            todo[0:0] = aliases[p]
        elif p.startswith(("ARG_", "RET_")):
            base = p
        else:
            flags.append(p)
    return base, sorted(set(flags))


def btf_id_lists(texts: dict[str, str]) -> dict[str, list[str]]:
    """``BTF_ID_LIST(x) BTF_ID(struct, a) ...`` and ``BTF_ID_LIST_SINGLE(x, struct, a)``."""
    lists: dict[str, list[str]] = {}
    for text in texts.values():
        for m in re.finditer(r"BTF_ID_LIST(?:_GLOBAL)?_SINGLE\((\w+),\s*\w+,\s*(\w+)\)", text):
            lists.setdefault(m.group(1), [m.group(2)])
        for m in re.finditer(r"BTF_ID_LIST(?:_GLOBAL)?\((\w+)(?:,\s*\w+)?\)\s*\n"
                             r"((?:\s*BTF_ID\(\w+,\s*\w+\)\s*\n)+)", text):
            lists.setdefault(m.group(1), re.findall(r"BTF_ID\(\w+,\s*(\w+)\)", m.group(2)))
        # an id found at init: `type_id = btf_find_by_name_kind(btf, "tcp_sock", ...);
        # if (...) return ...; tcp_sock_id = type_id;` (net/ipv4/bpf_tcp_ca.c)
        for m in re.finditer(r"btf_find_by_name_kind\(\s*\w+,\s*\"(\w+)\",\s*BTF_KIND_STRUCT\s*\)"
                             r";\s*if\s*\([^)]*\)\s*return[^;]*;\s*(\w+)\s*=\s*type_id;", text):
            lists.setdefault(m.group(2), [m.group(1)])
    return lists


#: the BTF id sets the prototypes' ``.allowed`` functions look attach targets up in
ALLOWED_SETS = ("btf_allowlist_d_path", "sleepable_lsm_hooks")


def btf_sets(texts: dict[str, str]) -> dict[str, list[str]]:
    """``BTF_SET_START(name) BTF_ID(func, f) ... BTF_SET_END(name)``: the functions of each
    set ``.allowed`` needs (every ``#ifdef`` branch included)."""
    out: dict[str, list[str]] = {}
    for text in texts.values():
        for m in re.finditer(r"BTF_SET_START\((\w+)\)(.*?)BTF_SET_END\(\1\)", text, re.S):
            if m.group(1) in ALLOWED_SETS:
                out[m.group(1)] = sorted(set(re.findall(r"BTF_ID\(func,\s*(\w+)\)",
                                                        m.group(2))))
    return out


def btf_index_enums(btf_ids_h: str) -> dict[str, tuple[int, str]]:
    """``BTF_SOCK_TYPE(BTF_SOCK_TYPE_TCP, tcp_sock)`` -> index and struct, per enum list."""
    out: dict[str, tuple[int, str]] = {}
    for macro in ("BTF_SOCK_TYPE", "BTF_TRACING_TYPE"):
        for i, (name, struct) in enumerate(re.findall(r"\b" + macro + r"\((\w+),\s*(\w+)\)",
                                                       btf_ids_h)):
            out[name] = (i, struct)
    return out


def resolve_btf(value: str, lists: dict[str, list[str]],
                enums: dict[str, tuple[int, str]]) -> str | None:
    single = re.fullmatch(r"&\s*(\w+)", value.strip())
    if single and len(lists.get(single.group(1), ())) == 1:
        return lists[single.group(1)][0]
    m = re.fullmatch(r"&\s*(\w+)\[(\w+)\]", value.strip())
    if not m:
        return None if "POISON" not in value else "BPF_PTR_POISON"
    name, index = m.groups()
    if index in enums:
        return enums[index][1]
    if index.isdigit() and name in lists and int(index) < len(lists[name]):
        return lists[name][int(index)]
    return None


def parse_protos(texts: dict[str, str], arg_aliases: dict[str, list[str]],
                 ret_aliases: dict[str, list[str]], lists: dict[str, list[str]],
                 enums: dict[str, tuple[int, str]]) -> dict[str, dict]:
    protos: dict[str, dict] = {}
    for path, text in texts.items():
        for m in PROTO_RE.finditer(text):
            name, body = m.groups()
            fields = {}
            for part in re.split(r",\s*(?=\.)|,\s*$", body.strip()):
                fm = re.match(r"\s*\.(\w+)\s*=\s*(.+?)\s*,?\s*$", part, re.S)
                if fm:
                    fields[fm.group(1)] = " ".join(fm.group(2).split())
            ret_base, ret_flags = split_type(fields.get("ret_type", "RET_INTEGER"), ret_aliases)
            args = []
            for n in range(1, 6):
                t = fields.get(f"arg{n}_type")
                if t is None:
                    break
                base, flags = split_type(t, arg_aliases)
                arg: dict = {"type": base, "flags": flags}
                btf = fields.get(f"arg{n}_btf_id")
                if btf:
                    arg["btf_struct"] = resolve_btf(btf, lists, enums)
                if f"arg{n}_size" in fields:
                    arg["size"] = fields[f"arg{n}_size"]
                args.append(arg)
            while args and args[-1]["type"] == "ARG_DONTCARE":
                args.pop()
            ret: dict = {"type": ret_base, "flags": ret_flags}
            if "ret_btf_id" in fields:
                ret["btf_struct"] = resolve_btf(fields["ret_btf_id"], lists, enums)
            key = name if name not in protos else f"{name}@{path}"
            protos[key] = {
                "file": path, "name": name, "func": fields.get("func"),
                "gpl_only": fields.get("gpl_only") == "true",
                "might_sleep": fields.get("might_sleep") == "true",
                "pkt_access": fields.get("pkt_access") == "true",
                "ret": ret, "args": args,
                # .allowed: a function of the program that check_helper_call() asks first
                **({"allowed": fields["allowed"]} if fields.get("allowed") else {}),
            }
    return protos


def parse_tables(texts: dict[str, str], known: set[str]) -> tuple[dict[str, dict], dict[str, str]]:
    """Every ``get_func_proto()``-shaped function: its cases and fallbacks; plus getters."""
    tables: dict[str, dict] = {}
    getters: dict[str, str] = {}
    for path, text in texts.items():
        for m in FUNC_RE.finditer(text):
            fname, params = m.group(1), m.group(2)
            body = body_at(text, m.end() - 1)
            if "bpf_func_id" not in params:
                r = re.findall(r"return\s+&(\w+)\s*;", body)
                if len(set(r)) == 1:
                    getters[fname] = r[0]
                continue
            tables[fname] = parse_table(path, body, known)
    return tables, getters


def parse_table(path: str, body: str, known: set[str]) -> dict:
    cases: dict[str, dict] = {}
    calls: list[dict] = []
    cap = None
    pos = 0
    # walk the body: capability gates, case groups, calls to other tables
    tokens = list(CASE_RE.finditer(body))
    # a nested `switch (prog->expected_attach_type)` inside a case has its own `default:`
    depths = [body[:t.start()].count("{") - body[:t.start()].count("}") for t in tokens]
    outer = min((d for t, d in zip(tokens, depths, strict=True) if t.group(1)), default=0)
    tokens = [t for t, d in zip(tokens, depths, strict=True) if d == outer]
    configs = _config_at(body)
    first_case = tokens[0].start() if tokens else len(body)
    before = body[:first_case]
    for cm in re.finditer(r"(\w+_func_proto|bpf_base_func_proto)\s*\(\s*func_id", before):
        # `if (prog->expected_attach_type == BPF_LSM_CGROUP) { ... table(func_id, prog) }`
        gate = re.findall(r"if\s*\(\s*prog->expected_attach_type\s*==\s*(BPF_\w+)\s*\)",
                          before[:cm.start()])
        calls.append({"table": cm.group(1), "where": "before",
                      **({"attach": [gate[-1].removeprefix("BPF_")]} if gate else {})})
    labels: list[str] = []
    for i, tok in enumerate(tokens):
        seg_start = tok.end()
        seg_end = tokens[i + 1].start() if i + 1 < len(tokens) else len(body)
        gap = body[pos:tok.start()]
        gate = re.search(r"bpf_token_capable\([^,]+,\s*(CAP_\w+)\)|(perfmon_capable|bpf_capable)\(",
                         gap)
        if gate and i and re.search(r"return\s+NULL", gap):
            cap = gate.group(1) or {"perfmon_capable": "CAP_PERFMON",
                                    "bpf_capable": "CAP_BPF"}[gate.group(2)]
        pos = seg_end
        seg = body[seg_start:seg_end]
        # the switch's end: code after the closing brace of the switch belongs to no case
        close = _switch_end(seg)
        tail = seg[close:] if close is not None else ""
        seg = seg[:close] if close is not None else seg
        label = tok.group(1)
        if tok.group(0).startswith("default"):
            label = None
        if not re.search(r"\b(return|break)\b", seg):
            if label:
                labels.append(label)
            continue  # falls through to the next label
        group = labels + ([label] if label else [])
        labels = []
        protos = [x for x in re.findall(r"&\s*(\w+)", seg) if x in known]
        protos += [f"getter:{g}" for g in re.findall(r"(\w+_proto)\s*\(\s*\)", seg)]
        # other tables, and getters of one family such as bpf_get_skb_set_tunnel_proto(func_id)
        sub = re.findall(r"(\w+_proto)\s*\(\s*func_id", seg)
        cond = bool(re.search(r"\b(if|switch)\s*\(|\?", seg))
        case_cap, sleepable, never_null = cap, {}, False
        flat = " ".join(re.sub(r"^[ \t]*#[^\n]*", "", seg, flags=re.M).split())
        by_sleep = re.search(r"return\s+prog->sleepable\s*\?\s*&\s*(\w+)\s*:\s*&\s*(\w+)\s*;",
                             flat)
        by_cap = re.fullmatch(r"return\s+!\s*bpf_token_capable\([^,]+,\s*(CAP_\w+)\)\s*\?\s*"
                              r"NULL\s*:\s*&\s*\w+\s*;\s*", flat)
        if by_sleep:  # the program's sleepable flag picks one of two prototypes
            sleepable = {by_sleep.group(1): True, by_sleep.group(2): False}
            cond = False
        elif by_cap:  # `!bpf_token_capable(..., CAP_X) ? NULL : &proto`: a capability gate
            case_cap, cond = by_cap.group(1), False
        elif cond and protos and not sub and "NULL" not in flat and "break" not in flat:
            never_null = True  # an `if` picks between prototypes; every path returns one
        attach = _attach_rule(flat, protos) if cond and len(set(protos)) == 1 else None
        gate_first = re.match(r"if\s*\(\s*prog->expected_attach_type\s*!=\s*BPF_(\w+)\s*\)\s*"
                              r"return\s+NULL\s*;", flat)
        if attach is None and gate_first:  # a necessary attach type; more conditions follow
            attach = {"attach_only": [gate_first.group(1)]}
        # `security_locked_down(...) < 0 ? NULL : &proto`: the running kernel's lockdown state
        lockdown = cond and bool(re.fullmatch(r"return\s+security_locked_down\(\w+\)\s*<\s*0\s*"
                                              r"\?\s*NULL\s*:\s*[&\w()]+\s*;\s*", flat))
        if label is None and not group:
            for s in sub:
                calls.append({"table": s, "where": "after"})
        else:
            for name in group:
                cases[name] = {"protos": protos, "tables": sub, "conditional": cond,
                               "cap": case_cap, "null": not protos and not sub,
                               "config": configs(tok.start()), "sleepable": sleepable,
                               "never_null": never_null, "attach": attach,
                               "lockdown": lockdown}
        for cm in re.finditer(r"(\w+_func_proto)\s*\(\s*func_id", tail):
            calls.append({"table": cm.group(1), "where": "after"})
        # after a switch: `if (!bpf_token_capable(..., CAP_X)) return NULL;` gates the rest
        gate = re.search(r"bpf_token_capable\([^,]+,\s*(CAP_\w+)\)|(perfmon_capable|bpf_capable)\(",
                         tail)
        if gate and re.search(r"return\s+NULL", tail):
            cap = gate.group(1) or {"perfmon_capable": "CAP_PERFMON",
                                    "bpf_capable": "CAP_BPF"}[gate.group(2)]
    if not tokens:
        for cm in re.finditer(r"(\w+_func_proto)\s*\(\s*func_id", body):
            calls.append({"table": cm.group(1), "where": "after"})
    return {"file": path, "cases": cases, "calls": calls}


def _attach_rule(flat: str, protos: list[str]) -> dict[str, list[str]] | None:
    """A case decided by ``prog->expected_attach_type`` alone: ``{"attach": [...]}`` (the
    attach types that get the prototype) or ``{"attach_not": [...]}`` (those that do not)."""
    proto = protos[0]
    tramp = re.fullmatch(r"(?:if\s*\(\s*prog->type\s*==\s*BPF_PROG_TYPE_(\w+)\s*&&\s*"
                         r"prog->expected_attach_type\s*==\s*BPF_(\w+)\s*\)\s*return\s*&\s*\w+\s*;"
                         r"\s*)?return\s+bpf_prog_has_trampoline\(\s*prog\s*\)\s*\?\s*&\s*\w+\s*:"
                         r"\s*NULL\s*;\s*", flat)
    if tramp:  # bpf_prog_has_trampoline(): resolved per program type when written out
        also = [f"{tramp.group(1).lower()}:{tramp.group(2)}"] if tramp.group(1) else []
        return {"trampoline": True, "also": also}
    one = re.fullmatch(r"(?:if\s*\(\s*prog->expected_attach_type\s*==\s*(BPF_\w+)\s*\)\s*"
                       r"return\s*&\s*(\w+)\s*;\s*return\s+NULL\s*;"
                       r"|return\s+prog->expected_attach_type\s*==\s*(BPF_\w+)\s*\?\s*"
                       r"&\s*(\w+)\s*:\s*NULL\s*;)\s*", flat)
    if one:
        name, got = (one.group(1), one.group(2)) if one.group(1) else (one.group(3), one.group(4))
        return {"attach": [name.removeprefix("BPF_")]} if got == proto else None
    sw = re.fullmatch(r"switch\s*\(\s*prog->expected_attach_type\s*\)\s*\{(.*)\}\s*", flat)
    if not sw:
        return None
    yes: list[str] = []
    no: list[str] = []
    default = None
    labels: list[str] = []
    for m in re.finditer(r"case\s+(BPF_\w+)\s*:|(default)\s*:|return\s+(NULL|&\s*\w+)\s*;",
                         sw.group(1)):
        if m.group(1) or m.group(2):
            labels.append(m.group(1) or "default")
            continue
        ok = m.group(3) != "NULL"
        if ok and m.group(3).lstrip("&").strip() != proto:
            return None
        for label in labels:
            if label == "default":
                default = ok
            else:
                (yes if ok else no).append(label.removeprefix("BPF_"))
        labels = []
    if default is None or labels:
        return None
    return {"attach_not": no} if default else {"attach": yes}


#: kernel/bpf/trampoline.c bpf_prog_has_trampoline(): the attach types with a trampoline
TRAMPOLINE_ATTACH = {"tracing": ["TRACE_FENTRY", "TRACE_FEXIT", "MODIFY_RETURN"],
                     "lsm": ["LSM_MAC"]}


def _only_attach(entry: dict, attach: list[str]) -> dict:
    """``entry`` narrowed to programs whose expected attach type is one of ``attach``."""
    allowed = [a for a in attach if a not in entry.get("attach_not", ())
               and a in entry.get("attach", attach) and a in entry.get("attach_only", attach)]
    out = {k: v for k, v in entry.items()
           if k not in ("attach", "attach_not", "attach_only", "trampoline")}
    return {**out, "conditional": True, "never_null": False, "attach": allowed}


def _config_at(body: str):
    """A function: position -> the ``#if``/``#ifdef`` conditions open there (a kernel
    configuration decides whether the case exists), joined by ``&&``."""
    marks: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    stack: list[str] = []
    for m in re.finditer(r"^[ \t]*#\s*(ifdef|ifndef|if|elif|else|endif)\b([^\n]*)", body, re.M):
        kind, rest = m.group(1), " ".join(m.group(2).split())
        if kind in ("ifdef", "if"):
            stack.append(rest)
        elif kind == "ifndef":
            stack.append(f"!{rest}")
        elif kind in ("elif", "else") and stack:
            stack[-1] = f"not ({stack[-1]})" + (f" && {rest}" if rest else "")
        elif kind == "endif" and stack:
            stack.pop()
        marks.append((m.start(), tuple(stack)))

    def at(pos: int) -> str | None:
        conds = next(c for p, c in reversed(marks) if p <= pos)
        return " && ".join(conds) or None
    return at


def _switch_end(seg: str) -> int | None:
    depth = 0
    for i, ch in enumerate(seg):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return i
    return None


def resolve(table: str, tables: dict, seen: tuple = ()) -> dict[str, list[dict]]:
    """helper -> [{proto, conditional, cap, via}] for one table and its fallbacks."""
    if table in seen or table not in tables:
        return {}
    t = tables[table]
    out: dict[str, list[dict]] = {}

    def merge(extra: dict[str, list[dict]]) -> None:
        for h, entries in extra.items():
            out.setdefault(h, entries)

    for call in t["calls"]:
        if call["where"] == "before":
            found = resolve(call["table"], tables, (*seen, table))
            if "attach" in call:  # only programs of that attach type ask the other table
                found = {h: [_only_attach(e, call["attach"]) for e in es]
                         for h, es in found.items()}
            merge(found)
    own: dict[str, list[dict]] = {}
    for h, case in t["cases"].items():
        entries = [{"proto": p, "conditional": case["conditional"], "cap": case["cap"],
                    "config": case["config"], "table": table,
                    "sleepable": case["sleepable"].get(p), **(case["attach"] or {}),
                    "never_null": case["never_null"], "lockdown": case["lockdown"]}
                   for p in case["protos"]]
        for sub in case["tables"]:
            for e in resolve(sub, tables, (*seen, table)).get(h, []):
                entries.append({**e, "conditional": e["conditional"] or case["conditional"],
                                "config": e.get("config") or case["config"]})
        own[h] = entries  # an empty list: this table refuses the helper (return NULL)
    merge(own)
    for call in t["calls"]:
        if call["where"] == "after":
            merge(resolve(call["table"], tables, (*seen, table)))
    return out


def prog_type_tables(bpf_types_h: str, texts: dict[str, str]) -> dict[str, str]:
    ops: dict[str, str] = {}
    for text in texts.values():
        for m in re.finditer(r"struct\s+bpf_verifier_ops\s+(\w+)\s*=\s*\{(.*?)\};", text, re.S):
            fm = re.search(r"\.get_func_proto\s*=\s*(\w+)", m.group(2))
            if fm:
                ops[m.group(1)] = fm.group(1)
    out: dict[str, str] = {}
    for m in re.finditer(r"BPF_PROG_TYPE\(BPF_PROG_TYPE_(\w+),\s*(\w+),", bpf_types_h):
        verifier_ops = f"{m.group(2)}_verifier_ops"
        if verifier_ops in ops:
            out[m.group(1).lower()] = ops[verifier_ops]
    return out


def verifier_facts(verifier_c: str) -> dict[str, dict[str, object]]:
    """Per helper, from kernel/bpf/verifier.c: the map types ``check_map_func_compatibility()``
    requires, and whether ``is_acquire_function()`` / ``is_ptr_cast_function()`` name it."""
    text = strip_comments(verifier_c)
    facts: dict[str, dict[str, object]] = {}

    def body_of(fname: str) -> str:
        m = re.search(r"\b" + fname + r"\s*\([^)]*\)\s*\{", text)
        return body_at(text, m.end() - 1) if m else ""

    compat = body_of("check_map_func_compatibility")
    second = compat[compat.find("switch (func_id)"):]
    labels: list[str] = []
    for seg in re.split(r"(?=\bcase\s+BPF_FUNC_|\bdefault\s*:)", second)[1:]:
        m = re.match(r"case\s+BPF_FUNC_(\w+)\s*:", seg)
        if not m:
            break
        labels.append(m.group(1))
        rest = seg[m.end():]
        if "goto error" in rest:
            types = sorted(set(re.findall(r"BPF_MAP_TYPE_(\w+)", rest)))
            for h in labels:
                facts.setdefault(h, {})["map_types"] = [t.lower() for t in types]
            labels = []
    acquire = body_of("is_acquire_function")
    head = acquire.split("return true", 1)[0]
    for h in re.findall(r"BPF_FUNC_(\w+)", head):
        facts.setdefault(h, {})["acquire"] = True
    for h in re.findall(r"BPF_FUNC_(\w+)", body_of("is_ptr_cast_function")):
        facts.setdefault(h, {})["ptr_cast"] = True
    return facts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("linux", type=Path, help="a Linux source tree")
    ap.add_argument("--out", type=Path, default=ROOT / "kfunclab/data/helper-protos.json")
    ap.add_argument("--release", default=None, help="the release to record (else from Makefile)")
    args = ap.parse_args()
    src: Path = args.linux
    texts: dict[str, str] = {}
    for d in SOURCE_DIRS:
        for f in sorted((src / d).rglob("*.c")):
            text = f.read_text(errors="replace")
            if "bpf_func_proto" in text or "BTF_ID_LIST" in text or "bpf_verifier_ops" in text:
                texts[str(f.relative_to(src))] = strip_comments(text)
    bpf_h = (src / "include/linux/bpf.h").read_text()
    btf_ids_h = (src / "include/linux/btf_ids.h").read_text()
    arg_aliases = enum_aliases(bpf_h, "bpf_arg_type")
    ret_aliases = enum_aliases(bpf_h, "bpf_return_type")
    lists = btf_id_lists(texts)
    enums = btf_index_enums(btf_ids_h)
    protos = parse_protos(texts, arg_aliases, ret_aliases, lists, enums)
    tables, getters = parse_tables(texts, {p["name"] for p in protos.values()})
    prog_tables = prog_type_tables((src / "include/linux/bpf_types.h").read_text(), texts)
    by_name = {p["name"]: k for k, p in protos.items()}

    def proto_key(ref: str, table: str) -> str | None:
        if ref.startswith("getter:"):
            ref = getters.get(ref[7:], ref[7:])
        here = f"{ref}@{tables[table]['file']}"
        return here if here in protos else by_name.get(ref)

    helpers: dict[str, dict] = {}
    for name, hid in sorted(HELPER_IDS.items(), key=lambda kv: kv[1]):
        helpers[name] = {"id": hid, "protos": {}}
    for prog_type, table in sorted(prog_tables.items()):
        for h, entries in resolve(table, tables).items():
            full = f"bpf_{h}"
            if full not in helpers:
                continue
            for e in entries:
                key = proto_key(e["proto"], e["table"])
                if key is None:
                    continue
                slot = helpers[full]["protos"].setdefault(key, {"prog_types": {}})
                if e.get("trampoline"):
                    e = {**e, "attach": TRAMPOLINE_ATTACH.get(prog_type, []) + [
                        a.split(":")[1] for a in e["also"] if a.split(":")[0] == prog_type]}
                slot["prog_types"][prog_type] = {
                    k: v for k, v in (("conditional", e["conditional"]), ("cap", e["cap"]),
                                      ("config", e.get("config")),
                                      ("never_null", e.get("never_null") and e["conditional"]),
                                      ("attach", e.get("attach")),
                                      ("lockdown", e.get("lockdown")),
                                      ("attach_not", e.get("attach_not")),
                                      ("attach_only", e.get("attach_only")),
                                      ("sleepable", e.get("sleepable")))
                    if v or (k == "sleepable" and v is False)
                    or (k == "attach" and v is not None)}
    # protos no table returns but whose .func names the helper (struct_ops-only, LSM ...)
    for key, p in protos.items():
        full = p["func"]
        if full in helpers and not any(key in h["protos"] for h in helpers.values()):
            helpers[full]["protos"].setdefault(key, {"prog_types": {}})
    filter_c = texts.get("net/core/filter.c", "")
    m = re.search(r"bool\s+bpf_helper_changes_pkt_data\s*\([^)]*\)\s*\{", filter_c)
    for h in re.findall(r"BPF_FUNC_(\w+)", body_at(filter_c, m.end() - 1) if m else ""):
        if f"bpf_{h}" in helpers:
            helpers[f"bpf_{h}"]["changes_pkt_data"] = True
    for h, extra in verifier_facts((src / "kernel/bpf/verifier.c").read_text()).items():
        if f"bpf_{h}" in helpers:
            helpers[f"bpf_{h}"].update(extra)
    used = {k for h in helpers.values() for k in h["protos"]}
    release = args.release
    if release is None:
        mk = (src / "Makefile").read_text()
        v = dict(re.findall(r"^(VERSION|PATCHLEVEL|SUBLEVEL)\s*=\s*(\d+)", mk, re.M))
        release = f"{v.get('VERSION')}.{v.get('PATCHLEVEL')}.{v.get('SUBLEVEL')}"
    data = {
        "kernel": release,
        "generated_by": "scripts/gen_helper_protos.py",
        "prog_type_tables": prog_tables,
        "protos": {k: protos[k] for k in sorted(used)},
        "helpers": helpers,
        "btf_sets": btf_sets(texts),
    }
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    missing = [h for h, v in helpers.items() if not v["protos"]]
    print(f"{len(helpers)} helpers, {len(used)} protos, {len(prog_tables)} program types; "
          f"no proto found for {len(missing)}: {' '.join(missing)}")


if __name__ == "__main__":
    main()
