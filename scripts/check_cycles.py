#!/usr/bin/env python3
"""Fails when the decoder files under src/dissect import each other in a cycle.

Every .rs file under src/dissect is a node. An edge A -> B is any path in
A's non-test code that resolves to file B: `use` trees (`use super::{a,
b::c}`, `use crate::dissect::net::ipv4::X`) and paths written inline
(`super::vlan::info(..)`, `crate::dissect::link::eth::ethertype_name(..)`).
A path resolves to the deepest file its leading segments name
(src/dissect/net/ipv4.rs for `crate::dissect::net::ipv4::be16`).

A `mod.rs` names its own submodules and routes to them (the dispatch), and
its children use the types and helpers it defines: edges from a `mod.rs`
into its own subtree are that registry, not imports, and are left out.
Every other cycle fails, with the files and the paths that close it.

`#[cfg(test)]` items are skipped: test modules may share fixtures freely.

Usage: check_cycles.py [SRC_DIR]   (default: src next to this script)
       check_cycles.py --self-test  (the checker on a small tree of its own)
"""

import re
import sys
from pathlib import Path


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals (keeping newlines and
    braces' positions meaningful) so paths in docs or strings do not count."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'b?r(#*)"', text[i:]) if c in "rb" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
        if m:
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == "'":
            # A char literal ('a', '\n', '\u{b7}'), not a lifetime ('a).
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def item_end(text, start):
    """End of the item starting at `start`: its `{...}` block or its `;`."""
    depth = 0
    for j in range(start, len(text)):
        ch = text[j]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        elif ch == ";" and depth == 0:
            return j + 1
    return len(text)


def strip_cfg_test(text):
    """Removes every item behind `#[cfg(test)]`."""
    while True:
        m = re.search(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]", text)
        if not m:
            return text
        end = item_end(text, m.end())
        text = text[: m.start()] + "\n" * text.count("\n", m.start(), end) + text[end:]


def split_top(s):
    """Splits a use-tree group body on top-level commas."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def expand_use_tree(tree, prefix=()):
    """`a::{b, c::{d, self}}` -> [a::b, a::c::d, a::c]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)  # `be16_or0 as be16`
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        segs = [s for s in tree.split("::") if s]
        if segs and segs[-1] == "self":
            segs = segs[:-1]
        return [prefix + tuple(segs)]
    head = [s for s in tree[:brace].split("::") if s]
    body = tree[brace + 1 : tree.rfind("}")]
    paths = []
    for part in split_top(body):
        paths.extend(expand_use_tree(part, prefix + tuple(head)))
    return paths


USE_RE = re.compile(r"\b(?:pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]+);")
INLINE_RE = re.compile(r"\b(?:crate|super|self)(?:\s*::\s*\w+)+")
MOD_RE = re.compile(r"\bmod\s+(\w+)\s*\{")


class Graph:
    def __init__(self, src):
        self.src = src
        self.dissect = src / "dissect"

    def module_of(self, path):
        rel = path.relative_to(self.src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "mod":
            parts = parts[:-1]
        return tuple(parts)

    def file_of(self, segs):
        """Deepest file named by a leading prefix of the absolute `segs`."""
        for k in range(len(segs), 0, -1):
            base = self.src.joinpath(*segs[:k])
            for cand in (base.with_suffix(".rs"), base / "mod.rs"):
                if cand.is_file():
                    return cand
        return None

    def absolute(self, segs, module):
        """Resolves `crate::`/`super::`/`self::` against the module path."""
        segs = list(segs)
        if not segs:
            return None
        if segs[0] == "crate":
            return tuple(segs[1:])
        cur = list(module)
        if segs[0] not in ("super", "self"):
            return None
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                if not cur:
                    return None
                cur.pop()
            segs.pop(0)
        return tuple(cur + segs)

    def edges_of(self, path):
        text = strip_cfg_test(strip_comments_and_strings(path.read_text()))
        base = self.module_of(path)
        # Inline (non-test) modules shift what `super` means inside them.
        spans = []
        for m in MOD_RE.finditer(text):
            spans.append((m.start(), item_end(text, m.start()), m.group(1)))

        def module_at(pos):
            mod = list(base)
            for s, e, name in spans:
                if s <= pos < e:
                    mod.append(name)
            return tuple(mod)

        found = {}
        for m in USE_RE.finditer(text):
            for p in expand_use_tree(m.group(1)):
                self._add(found, p, module_at(m.start()), text, m.start())
        for m in INLINE_RE.finditer(text):
            segs = tuple(re.sub(r"\s+", "", m.group(0)).split("::"))
            self._add(found, segs, module_at(m.start()), text, m.start())
        me = path.resolve()
        own_tree = path.parent if path.name == "mod.rs" else None
        edges = {}
        for target, where in found.items():
            if target == me:
                continue
            if own_tree is not None and own_tree in target.parents:
                continue  # a mod.rs routing to its own submodules
            if self.dissect not in target.parents:
                continue
            edges[target] = where
        return edges

    def _add(self, found, segs, module, text, pos):
        absolute = self.absolute(segs, module)
        if not absolute or absolute[0] != "dissect":
            return
        target = self.file_of(absolute)
        if target is None:
            return
        line = text.count("\n", 0, pos) + 1
        found.setdefault(target.resolve(), (line, "::".join(segs)))

    def build(self):
        files = sorted(p.resolve() for p in self.dissect.rglob("*.rs"))
        return {f: self.edges_of(f) for f in files}


def find_cycles(graph):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, on, stack, sccs = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return sccs


def self_test():
    """Checks the checker on a small tree: a cycle through a `use` group and
    an inline path is found; a mod.rs routing to its children, paths in
    comments and strings, and `#[cfg(test)]` code are not edges."""
    import tempfile

    files = {
        "dissect/mod.rs": "pub mod net;\npub struct Cx;\nfn d() { net::a::f(); net::b::g(); }\n",
        "dissect/net/mod.rs": "pub mod a;\npub mod b;\npub mod c;\npub fn shared() {}\n",
        "dissect/net/a.rs": "use super::{shared, b::{g as gg}};\nuse crate::dissect::Cx;\npub fn f() { gg(); }\n",
        "dissect/net/b.rs": "pub fn g() { crate::dissect::net::a::f(); }\n",
        "dissect/net/c.rs": (
            "// super::a::f\nconst S: &str = \"super::b::g\";\n"
            "#[cfg(test)]\nmod tests { use super::super::a::f; }\n"
            "pub fn h() { super::shared(); }\n"
        ),
    }
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "src"
        for name, text in files.items():
            f = src / name
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
        graph = Graph(src.resolve()).build()
        names = {f.relative_to(src.resolve()).as_posix(): {t.relative_to(src.resolve()).as_posix() for t in e} for f, e in graph.items()}
        assert names["dissect/net/a.rs"] == {"dissect/net/b.rs", "dissect/net/mod.rs", "dissect/mod.rs"}, names
        assert names["dissect/net/b.rs"] == {"dissect/net/a.rs"}, names
        assert names["dissect/net/c.rs"] == {"dissect/net/mod.rs"}, names
        assert names["dissect/mod.rs"] == set() and names["dissect/net/mod.rs"] == set(), names
        cycles = [[f.relative_to(src.resolve()).as_posix() for f in c] for c in find_cycles(graph)]
        assert cycles == [["dissect/net/a.rs", "dissect/net/b.rs"]], cycles
        (src / "dissect/net/b.rs").write_text("pub fn g() {}\n")
        assert find_cycles(Graph(src.resolve()).build()) == []
    print("check_cycles: self-test ok")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "src"
    src = src.resolve()
    g = Graph(src)
    graph = g.build()
    cycles = find_cycles(graph)
    nedges = sum(len(e) for e in graph.values())
    if not cycles:
        print(f"check_cycles: {len(graph)} files, {nedges} imports between them, no cycle")
        return 0
    for comp in cycles:
        members = set(comp)
        print("import cycle between:", ", ".join(str(f.relative_to(src.parent)) for f in comp))
        for f in comp:
            for t, (line, path) in sorted(graph[f].items()):
                if t in members:
                    print(f"  {f.relative_to(src.parent)}:{line}: {path} -> {t.relative_to(src.parent)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
