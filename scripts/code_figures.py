#!/usr/bin/env python3
"""code_figures.py -- size figures for a C++ source tree (no dependencies).

Usage: scripts/code_figures.py DIR [--top N] [--dirs base,engine,...] [--dump-class NAME]

Scans the .h/.cc/.hpp/.cpp files under DIR/{base,engine,dht,hyperdht,crypto,
store,tools} and reports
  1. the largest classes/structs, ranked by lines = lines of the class body
     plus lines of every out-of-line member function definition
     (`T Class::fn(...) ... {...}` or `Class::fn(...) = default;`) in any
     file, with
       methods = member function declarations/definitions in the body
                 (constructors, destructors, operators and static member
                 functions included; overloads counted separately;
                 `= delete`d ones and nested types' methods excluded)
       members = non-static data members declared in the body (not in
                 nested types; `int a, b;` counts 2)
  2. the longest function definitions (free functions, in-class and
     out-of-line member functions; lambdas and local classes count as part
     of the enclosing function), lines from the first line of the
     declaration (template header / return type) to the closing brace.

The parser is a brace matcher over a token stream from which comments,
string/char literals and preprocessor lines have been removed; it is not a
C++ front end (see LIMITATIONS at the bottom of this file).
"""
import os
import re
import sys

DEFAULT_DIRS = ["base", "engine", "dht", "hyperdht", "crypto", "store", "tools"]
EXTS = (".h", ".hh", ".hpp", ".cc", ".cpp", ".cxx")


# --------------------------------------------------------------------------
# Lexing
# --------------------------------------------------------------------------

def strip_source(text):
    """Blank comments, string/char literals and preprocessor lines; keep newlines."""
    out = []
    i, n = 0, len(text)
    at_line_start = True  # only whitespace seen since the last newline
    while i < n:
        c = text[i]
        if c == "\n":
            out.append(c)
            at_line_start = True
            i += 1
            continue
        if at_line_start and c in " \t\r\f\v":
            out.append(c)
            i += 1
            continue
        if at_line_start and c == "#":
            # preprocessor directive, with backslash continuations
            while i < n:
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append("\n")
                    i += 2
                    continue
                if text[i] == "\n":
                    break
                # a comment inside a directive may span lines
                if text.startswith("/*", i):
                    j = text.find("*/", i + 2)
                    j = n if j < 0 else j + 2
                    out.append(re.sub(r"[^\n]", " ", text[i:j]))
                    i = j
                    continue
                if text.startswith("//", i):
                    while i < n and text[i] != "\n":
                        i += 1
                    break
                out.append(" ")
                i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if c == '"':
            # raw string?  prefix R, u8R, uR, UR, LR immediately before
            m = re.search(r"(?:\b|(?<=[^A-Za-z0-9_]))(u8|u|U|L)?R$", text[max(0, i - 3):i])
            if m:
                dm = re.match(r'"([^()\\\s]{0,16})\(', text[i:])
                if dm:
                    close = ")" + dm.group(1) + '"'
                    j = text.find(close, i + len(dm.group(0)))
                    j = n if j < 0 else j + len(close)
                    out.append(" " + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + " ")
                    i = j
                    continue
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
            continue
        if c == "'":
            # digit separator (10'000, 0xff'ff) vs character literal
            k = i - 1
            while k >= 0 and (text[k].isalnum() or text[k] in "_'."):
                k -= 1
            run = text[k + 1:i]
            if run and run[0].isdigit() and i + 1 < n and (text[i + 1].isalnum()):
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != "'" and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


TOKEN_RE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*"      # identifier / keyword
    r"|\.?[0-9](?:[0-9A-Za-z_.]|[eEpP][+-])*"  # number
    r"|::|->|\.\.\.|&&|\|\||==|!=|<=|>=|\+\+|--|<<=|>>="  # multi-char punct (no << >>)
    r"|\S"
)


def tokenize(stripped):
    toks = []  # (text, line)
    line = 1
    for m in re.finditer(r"\n|" + TOKEN_RE.pattern, stripped):
        t = m.group(0)
        if t == "\n":
            line += 1
        else:
            toks.append((t, line))
    return toks


# --------------------------------------------------------------------------
# Statement helpers
# --------------------------------------------------------------------------

CLASS_KEYS = {"class", "struct", "union"}
ACCESS = {"public", "private", "protected"}
ATTR_FUNCS = {"alignas", "__attribute__", "__declspec", "_Alignas"}
NON_PARAM_PARENS = {"decltype", "alignas", "__attribute__", "__declspec", "noexcept",
                    "sizeof", "alignof", "requires", "throw", "typeof", "__typeof__", "explicit"}


def match_forward(toks, i, open_t, close_t):
    """toks[i] == open_t; return index of the matching close_t."""
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j][0]
        if t == open_t:
            depth += 1
        elif t == close_t:
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def strip_attrs(stmt):
    """Remove [[...]], alignas(...), __attribute__((...)) from a token list."""
    out = []
    i = 0
    while i < len(stmt):
        t = stmt[i][0]
        if t == "[" and i + 1 < len(stmt) and stmt[i + 1][0] == "[":
            i = match_forward(stmt, i, "[", "]") + 1
            continue
        if t in ATTR_FUNCS and i + 1 < len(stmt) and stmt[i + 1][0] == "(":
            i = match_forward(stmt, i + 1, "(", ")") + 1
            continue
        out.append(stmt[i])
        i += 1
    return out


def strip_template_headers(stmt):
    """Drop leading `template <...>` (possibly several) from a statement."""
    while stmt and stmt[0][0] == "template" and len(stmt) > 1 and stmt[1][0] == "<":
        depth = 0
        pdepth = 0
        j = 1
        while j < len(stmt):
            t = stmt[j][0]
            if t in "([{":
                pdepth += 1
            elif t in ")]}":
                pdepth -= 1
            elif pdepth == 0 and t == "<":
                depth += 1
            elif pdepth == 0 and t == ">":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        stmt = stmt[j + 1:]
    return stmt


def top_level_split(stmt):
    """Yield (index, token, depth) with a depth that counts (), [], {} and <> (angle brackets
    counted only when they follow an identifier / `>` / `::`, i.e. look like template args)."""
    depth = 0
    angle = 0
    res = []
    prev = None
    for i, (t, _) in enumerate(stmt):
        d = depth + angle
        if t in "([{":
            res.append((i, t, d))
            depth += 1
        elif t in ")]}":
            depth -= 1
            res.append((i, t, depth + angle))
        elif t == "<" and prev is not None and (re.match(r"[A-Za-z_]", prev) or prev in (">", "::")) \
                and prev != "operator":
            res.append((i, t, d))
            angle += 1
        elif t == ">" and angle > 0:
            angle -= 1
            res.append((i, t, depth + angle))
        else:
            res.append((i, t, d))
        prev = t
    return res


def find_param_paren(stmt):
    """Index of the `(` opening a function's parameter list in a declaration, or None.
    Returns (index, name_tokens_start) ."""
    levels = top_level_split(stmt)
    for i, t, d in levels:
        if d != 0:
            continue
        if t in ("=", "{") and not (i > 0 and stmt[i - 1][0] == "operator"):
            return None
        if t == "(":
            prev = stmt[i - 1][0] if i > 0 else None
            if prev is None:
                return None
            if prev in NON_PARAM_PARENS:
                continue
            # operator() : the `(` right after `operator` is part of the name
            if prev == "operator":
                continue
            if i >= 2 and stmt[i - 2][0] == "operator" and prev == ")":
                return i
            if re.match(r"[A-Za-z_~]", prev) or prev == ">" or \
                    any(stmt[k][0] == "operator" for k in range(max(0, i - 4), i)):
                # `(*fp)(...)`: function pointer, treat as data
                if i + 1 < len(stmt) and stmt[i + 1][0] in ("*", "&", "^") and prev not in ("operator",):
                    # could be a declarator in parens: void (*fp)(int)
                    if not re.match(r"[A-Za-z_]", prev) or prev in ("void", "int", "char", "bool", "auto"):
                        return None
                return i
            return None
    return None


def decl_name(stmt, pidx):
    """The (possibly qualified) name before the parameter list at pidx."""
    # operator names
    k = pidx - 1
    j = k
    # find `operator` within a few tokens before
    op = None
    for m in range(max(0, pidx - 5), pidx):
        if stmt[m][0] == "operator":
            op = m
    if op is not None:
        name = "operator" + "".join(t for t, _ in stmt[op + 1:pidx])
        if stmt[op + 1][0][0:1].isalpha():
            name = "operator " + "".join(t for t, _ in stmt[op + 1:pidx])
        j = op - 1
        parts = [name]
    else:
        # skip template args on the name: foo<T>(
        if stmt[k][0] == ">":
            depth = 0
            while k >= 0:
                if stmt[k][0] == ">":
                    depth += 1
                elif stmt[k][0] == "<":
                    depth -= 1
                    if depth == 0:
                        k -= 1
                        break
                k -= 1
        name = stmt[k][0]
        if k > 0 and stmt[k - 1][0] == "~":
            name = "~" + name
            k -= 1
        parts = [name]
        j = k - 1
    # qualifiers: X::Y<...>::name
    while j >= 1 and stmt[j][0] == "::":
        q = j - 1
        if stmt[q][0] == ">":
            depth = 0
            while q >= 0:
                if stmt[q][0] == ">":
                    depth += 1
                elif stmt[q][0] == "<":
                    depth -= 1
                    if depth == 0:
                        q -= 1
                        break
                q -= 1
        if q < 0 or not re.match(r"[A-Za-z_]", stmt[q][0]):
            break
        parts.insert(0, stmt[q][0])
        j = q - 1
    return parts


def class_head(stmt):
    """If stmt (tokens before `{`) is a class/struct/union head, return its name parts."""
    s = strip_attrs(strip_template_headers(strip_attrs(stmt)))
    for i, (t, _) in enumerate(s):
        if t in ("(", "="):
            return None
        if t == "enum":
            return None
        if t in CLASS_KEYS:
            # name: identifiers joined by ::, possibly with template args, until : { final
            rest = strip_attrs(s[i + 1:])
            parts = []
            j = 0
            while j < len(rest):
                tt = rest[j][0]
                if re.match(r"[A-Za-z_]", tt) and tt not in ("final",):
                    parts.append(tt)
                    j += 1
                    if j < len(rest) and rest[j][0] == "<":
                        j = match_forward(rest, j, "<", ">") + 1
                    if j < len(rest) and rest[j][0] == "::":
                        j += 1
                        continue
                break
            return parts or ["<anonymous>"]
    return None


# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------

class ClassInfo:
    def __init__(self, qname, file, line):
        self.qname = qname        # namespace-qualified, e.g. dht::node
        self.file = file
        self.line = line
        self.body_lines = 0
        self.methods = 0
        self.members = 0
        self.method_names = []
        self.member_names = []
        self.ool = []             # (file, line, lines, name)

    @property
    def total_lines(self):
        return self.body_lines + sum(x[2] for x in self.ool)


class FuncInfo:
    def __init__(self, name, file, line, end):
        self.name = name
        self.file = file
        self.line = line
        self.lines = end - line + 1


class Parser:
    def __init__(self):
        self.classes = {}     # qname -> ClassInfo
        self.funcs = []       # FuncInfo
        self.ool_pending = [] # (ns_path(list), qual parts(list), name, file, line, lines)

    # -- entry ------------------------------------------------------------
    def parse_file(self, path, rel):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        self.file = rel
        self.toks = tokenize(strip_source(text))
        self.pos = 0
        self.parse_scope([], None)

    # -- a namespace or class scope ---------------------------------------
    def parse_scope(self, ns, cls):
        """Parse until the matching `}` (or EOF). ns: list of enclosing names (namespaces
        and classes); cls: ClassInfo when inside a class body."""
        toks = self.toks
        stmt = []
        while self.pos < len(toks):
            t, line = toks[self.pos]
            if t == "}":
                self.pos += 1
                return
            if t == ";":
                self.pos += 1
                if stmt:
                    self.on_declaration(stmt, ns, cls)
                stmt = []
                continue
            if cls is not None and not stmt and t in ACCESS and self.pos + 1 < len(toks) \
                    and toks[self.pos + 1][0] == ":":
                self.pos += 2
                continue
            if t == "(" or t == "[":
                # keep bracketed groups whole (they may contain `;` in lambdas etc. only
                # inside braces, but keep it simple and safe)
                close = ")" if t == "(" else "]"
                j = match_forward(toks, self.pos, t, close)
                stmt.extend(toks[self.pos:j + 1])
                self.pos = j + 1
                continue
            if t == "{":
                stmt = self.on_brace(stmt, ns, cls)
                continue
            stmt.append((t, line))
            self.pos += 1

    def skip_braces(self):
        """self.pos at `{`; move past the matching `}`; return the closing line."""
        j = match_forward(self.toks, self.pos, "{", "}")
        self.pos = j + 1
        return self.toks[j][1]

    def on_brace(self, stmt, ns, cls):
        """Handle `{` at self.pos with the statement tokens before it. Returns the statement
        tokens to continue with (empty when the construct is complete)."""
        toks = self.toks
        s = strip_attrs(stmt)
        words = [t for t, _ in s]
        # namespace / extern "C"
        if words[:1] == ["namespace"] or (cls is None and words[:1] == ["inline"] and words[1:2] == ["namespace"]):
            names = [w for w in words if w not in ("namespace", "inline", "::")]
            self.pos += 1
            self.parse_scope(ns + names, None)
            return []
        if cls is None and words == ["extern"]:
            self.pos += 1
            self.parse_scope(ns, None)
            return []
        # enum
        st = strip_template_headers(s)
        if any(w == "enum" for w, _ in st[:3]):
            self.skip_braces()
            return stmt + [("{}", 0)]
        # class / struct / union definition
        head = class_head(stmt)
        if head is not None:
            start_line = st[0][1] if st else toks[self.pos][1]
            # line of the class keyword (after template header)
            for t, l in st:
                if t in CLASS_KEYS:
                    start_line = l
                    break
            if head == ["<anonymous>"]:
                qname = "::".join(ns + ["<anon@%s:%d>" % (self.file, start_line)])
            else:
                qname = "::".join(ns + head)
            info = ClassInfo(qname, self.file, start_line)
            if qname in self.classes:  # e.g. the same name in two anonymous namespaces
                qname = "%s@%s:%d" % (qname, self.file, start_line)
                info.qname = qname
            self.classes[qname] = info
            self.pos += 1
            self.parse_scope(ns + head, info)
            end_line = toks[self.pos - 1][1]
            info.body_lines = end_line - start_line + 1
            if cls is None and len(head) > 1:
                # `struct outer::inner {...}` defined out of line: part of `outer` too
                self.ool_pending.append((list(ns), head[:-1], "%s %s" % (
                    next((t for t, _ in st if t in CLASS_KEYS), "class"), head[-1]),
                    self.file, start_line, info.body_lines))
            # `struct {...} x;` -- what follows up to `;` is a declarator list
            return [("struct", start_line), ("__classbody__", start_line)]
        # function definition?
        st2 = strip_template_headers(s)
        pidx = find_param_paren(st2)
        if pidx is not None:
            close = match_forward(st2, pidx, "(", ")")
            after = [t for t, _ in st2[close + 1:]]
            # constructor initializer list: `{` after identifier/`>` is a member init
            if ":" in after:  # `) : a(b), c{d} {` -- constructor initializer list
                if words and (re.match(r"[A-Za-z_]", words[-1]) or words[-1] == ">"):
                    # braced member initializer: keep scanning
                    j = match_forward(toks, self.pos, "{", "}")
                    stmt = stmt + toks[self.pos:j + 1]
                    self.pos = j + 1
                    return stmt
            if "=" in after:
                # e.g. a default member initializer that contains a call
                self.skip_braces()
                return stmt + [("{}", 0)]
            start_line = (st2[0][1] if st2 else toks[self.pos][1])
            if s and stmt:
                start_line = stmt[0][1]
            end_line = self.skip_braces()
            name_parts = decl_name(st2, pidx)
            is_friend = any(t == "friend" for t, _ in st2[:pidx])
            self.on_function(name_parts, ns, cls, start_line, end_line, is_friend)
            # swallow a trailing `;` after an in-class definition
            if self.pos < len(toks) and toks[self.pos][0] == ";":
                self.pos += 1
            return []
        # anything else: an initializer (`= {...}`, `x{...}`), a lambda at namespace scope, ...
        self.skip_braces()
        return stmt + [("{}", 0)]

    def on_function(self, name_parts, ns, cls, start, end, is_friend=False):
        file = self.file
        if cls is not None:
            if not is_friend:  # a friend defined in the body is not a member function
                cls.methods += 1
                cls.method_names.append(name_parts[-1])
            fname = "::".join(ns[-1:] + [name_parts[-1]]) if ns else name_parts[-1]
            self.funcs.append(FuncInfo(fname, file, start, end))
            return
        if len(name_parts) > 1:
            # out-of-line member definition (or a function in a qualified namespace)
            self.ool_pending.append((list(ns), name_parts[:-1], name_parts[-1], file, start, end - start + 1))
        self.funcs.append(FuncInfo("::".join(name_parts), file, start, end))

    def on_declaration(self, stmt, ns, cls):
        s = strip_attrs(stmt)
        if not s:
            return
        if cls is None:
            # `Class::~Class() = default;` out of line
            st = strip_template_headers(s)
            pidx = find_param_paren(st)
            if pidx is not None:
                close = match_forward(st, pidx, "(", ")")
                after = [t for t, _ in st[close + 1:]]
                if after[-2:] in (["=", "default"],):
                    parts = decl_name(st, pidx)
                    if len(parts) > 1:
                        self.ool_pending.append((list(ns), parts[:-1], parts[-1], self.file,
                                                 s[0][1], s[-1][1] - s[0][1] + 1))
            return
        words = [t for t, _ in s]
        first = words[0]
        if first in ("using", "typedef", "friend", "static_assert", "namespace"):
            return
        if words[:2] == ["template", "<"]:
            s = strip_template_headers(s)
            words = [t for t, _ in s]
            if not words or words[0] == "friend":
                return
        if words[0] == "__classbody__" or (len(words) > 1 and words[1] == "__classbody__"):
            # `struct {...} a, b;` declarators after an anonymous/nested class body
            rest = s[2:]
            if rest:
                self._count_members(rest, cls, static=False)
            return
        pidx = find_param_paren(s)
        if pidx is not None:
            close = match_forward(s, pidx, "(", ")")
            after = [t for t, _ in s[close + 1:]]
            if after[-2:] == ["=", "delete"]:
                return
            cls.methods += 1
            cls.method_names.append(decl_name(s, pidx)[-1])
            return
        # enum definition (`enum class e : T {...};`), opaque enum or forward declaration
        if words[0] == "enum":
            if "{}" in words:
                rest = s[words.index("{}") + 1:]
                if rest:  # `enum {...} a, b;` declares data members
                    self._count_members(rest, cls, static=False)
            return
        if words[0] in CLASS_KEYS and len(words) <= 4 and "(" not in words:
            return  # `class foo;`
        # opaque enum / enum with body handled above; data members
        static = any(w in ("static",) for w in words[:4]) or \
            (words[0] in ("constexpr",))
        self._count_members(s, cls, static)

    def _count_members(self, s, cls, static):
        if static:
            return
        levels = top_level_split(s)
        n = 1
        names = []
        last_ident = None
        seen_eq = False
        for i, t, d in levels:
            if d == 0 and t == ",":
                n += 1
                if last_ident:
                    names.append(last_ident)
                last_ident = None
                seen_eq = False
            elif d == 0 and t in ("=", ":", "{", "{}"):
                if not seen_eq and last_ident:
                    names.append(last_ident)
                    last_ident = None
                seen_eq = True
            elif d == 0 and not seen_eq and re.match(r"[A-Za-z_]", t):
                last_ident = t
        if last_ident and not seen_eq:
            names.append(last_ident)
        cls.members += n
        cls.member_names.extend(names[:n] if names else ["?"] * n)

    # -- resolve out-of-line definitions to classes -----------------------
    def resolve(self):
        by_simple = {}
        for q, c in self.classes.items():
            key = q.split("@")[0]
            by_simple.setdefault(key.split("::")[-1], []).append(c)
        unresolved = []
        for ns, qual, name, file, line, lines in self.ool_pending:
            target = None
            qs = "::".join(qual)
            for k in range(len(ns), -1, -1):
                cand = "::".join(ns[:k] + qual)
                if cand in self.classes:
                    target = self.classes[cand]
                    break
                # anonymous-namespace duplicates keyed with @file
                alts = [c for q, c in self.classes.items() if q.split("@")[0] == cand]
                if alts:
                    same = [c for c in alts if c.file == file]
                    target = (same or alts)[0]
                    break
            if target is None:
                # `using namespace` etc.: a unique class whose qualified name ends with qual
                cands = [c for q, c in self.classes.items()
                         if q.split("@")[0] == qs or q.split("@")[0].endswith("::" + qs)]
                if len(cands) == 1:
                    target = cands[0]
            if target is None:
                unresolved.append((qs, name, file, line))
                continue
            target.ool.append((file, line, lines, name))
            # a nested class's out-of-line members are also lines of its enclosing classes
            # (as its in-body methods are, through the enclosing body's line range)
            outer = target.qname.split("@")[0].split("::")
            for k in range(len(outer) - 1, 0, -1):
                oq = "::".join(outer[:k])
                if oq in self.classes:
                    self.classes[oq].ool.append((file, line, lines, "::".join(outer[k:]) + "::" + name))
        return unresolved


# --------------------------------------------------------------------------

def collect(root, dirs):
    files = []
    for d in dirs:
        base = os.path.join(root, d)
        for dp, dn, fn in os.walk(base):
            dn.sort()
            for f in sorted(fn):
                if f.endswith(EXTS):
                    files.append(os.path.join(dp, f))
    return files


def main(argv):
    args = [a for a in argv[1:]]
    top = 5
    dirs = DEFAULT_DIRS
    dump = None
    root = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--top":
            top = int(args[i + 1]); i += 2; continue
        if a == "--dirs":
            dirs = args[i + 1].split(","); i += 2; continue
        if a == "--dump-class":
            dump = args[i + 1]; i += 2; continue
        if a in ("-h", "--help"):
            print(__doc__); return 0
        root = a
        i += 1
    if root is None:
        print(__doc__, file=sys.stderr)
        return 2
    p = Parser()
    files = collect(root, dirs)
    for f in files:
        p.parse_file(f, os.path.relpath(f, root))
    unresolved = p.resolve()

    classes = sorted(p.classes.values(), key=lambda c: (-c.total_lines, c.qname))
    print("Scanned %d files under %s (%s)" % (len(files), root, ", ".join(dirs)))
    print()
    print("Largest classes/structs (body + out-of-line member definitions)")
    print("%-4s %-40s %7s %7s %6s %6s %6s  %s" % ("#", "class", "methods", "members", "lines", "body", "ool", "defined at"))
    for k, c in enumerate(classes[:top], 1):
        ool_files = sorted({x[0] for x in c.ool})
        print("%-4d %-40s %7d %7d %6d %6d %6d  %s:%d%s" % (
            k, c.qname, c.methods, c.members, c.total_lines, c.body_lines, c.total_lines - c.body_lines,
            c.file, c.line, (" (+ " + ", ".join(ool_files) + ")") if ool_files else ""))
    print()
    funcs = sorted(p.funcs, key=lambda f: (-f.lines, f.file, f.line))
    print("Longest functions")
    print("%-4s %6s  %-45s %s" % ("#", "lines", "function", "location"))
    for k, f in enumerate(funcs[:top], 1):
        print("%-4d %6d  %-45s %s:%d" % (k, f.lines, f.name, f.file, f.line))
    if unresolved:
        print()
        print("(%d out-of-line definitions with a qualifier that names no class found: %s)" % (
            len(unresolved), ", ".join(sorted({u[0] + "::" + u[1] for u in unresolved})[:8])
            + (" ..." if len(unresolved) > 8 else "")))
    if dump:
        for c in classes:
            if c.qname == dump or c.qname.split("::")[-1] == dump:
                print()
                print("== %s (%s:%d) methods=%d members=%d body=%d ool=%d" % (
                    c.qname, c.file, c.line, c.methods, c.members, c.body_lines, c.total_lines - c.body_lines))
                print("methods:", " ".join(c.method_names))
                print("members:", " ".join(c.member_names))
                for x in c.ool:
                    print("  ool %s:%d %d %s" % (x[0], x[1], x[2], x[3]))
    print()
    if classes:
        c = classes[0]
        print("largest_class=%s methods=%d members=%d lines=%d" % (c.qname, c.methods, c.members, c.total_lines))
    if funcs:
        f = funcs[0]
        print("longest_function=%s lines=%d file=%s" % (f.name, f.lines, f.file))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

# LIMITATIONS
# - Not a C++ parser: macros are not expanded (a macro that expands to `{`,
#   `}` or `;`, or a function-like macro used as a statement without `;`,
#   would confuse it); all #if branches are read, so both branches of an
#   #if/#else that each open a brace would unbalance it (none in shoal).
# - Angle brackets are guessed (a `<` after an identifier is a template
#   argument list) only when counting commas in member declarations.
# - Out-of-line definitions are tied to a class through the enclosing
#   namespaces and the qualifier; with `using namespace` the class is found
#   by a unique suffix match.
# - Classes defined inside function bodies are not reported (they belong to
#   the function); functions defined inside local classes count as part of
#   the enclosing function.
