"""A fast, safe renderer for the markdown subset that lesson files use.

Safe by construction: every piece of text is HTML-escaped before anything else happens,
and the only tags in the output are the ones this module writes itself (no attributes
come from the input except checked http/https/mailto link targets and code languages
reduced to ``[A-Za-z0-9_+-]``). Raw HTML in a lesson file therefore shows as text.

Supported: paragraphs (single line breaks kept as ``<br>``), ATX headings, ``**bold**``,
``*em*``/``_em_``, inline code, fenced code with a language, GFM tables (alignment, escaped
pipes, inline markup in cells), ordered/unordered lists with nesting, blockquotes, rules,
links (http/https/mailto only), box-drawing diagrams kept in a ``<pre>``, and math:
``$…$`` -> ``\\(…\\)``, ``$$…$$`` -> ``\\[…\\]`` (MathJax in Anki), never inside code.

It is written for speed (about 0.1 ms for an average lesson card, against about 3 ms for
Python-Markdown): one pass over the lines, cheap first-character dispatch, and regexes only
where a line can contain markup.
"""

from __future__ import annotations

import re
from html import escape as _html_escape
from itertools import repeat

__all__ = ["render_markdown", "split_table_row"]

# Box-drawing characters (U+2500-U+257F) start a diagram; arrows, blocks and geometric
# shapes may continue one.
_BOX = re.compile("[\u2500-\u257f]")
_DIAGRAM_CONT = re.compile("[\u2190-\u21ff\u2500-\u25ff]")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_HR = re.compile(r"^\s{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST = re.compile(r"^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|[ \t]*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_SPACED_PIPE = re.compile(r"(?<=\s)\|(?=\s)")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_LANG_BAD = re.compile(r"[^A-Za-z0-9_+-]")

# Inline tokens, matched left to right in one pass.
# "\x02" separates table cells and "\x03" table rows rendered in one call: no pattern
# crosses them.
_TOKEN_AT = re.compile(
    r"(?:"
    r"(?P<esc>\\[!-/:-@\[-`{-~])"
    r"|(?P<code>(?P<ticks>`+)(?P<codetext>[^\x02\x03]+?)(?<!`)(?P=ticks)(?!`))"
    r"|\$\$(?P<dmath>(?!\s*\$)[^\x02\x03]+?)\$\$"
    r"|(?<![\\$])\$(?P<math>[^\s$\x02\x03](?:[^$\n\x02\x03]*[^\s$\\\x02\x03])?)\$(?![\d$])"
    r"|(?P<img>!)?\[(?P<label>[^\[\]\n\x02\x03]*)\]\(\s*<?"
    r"(?P<url>[^\s()<>\x02\x03]*(?:\([^\s()<>\x02\x03]*\)[^\s()<>\x02\x03]*)*)>?"
    r"(?:\s+\"[^\"\n\x02\x03]*\")?\s*\)"
    r"|<(?P<auto>(?:https?://|mailto:)[^\s<>\"'\x02\x03]+)>"
    r")"
)
# Where a token can start ("!" only as "![").
_TRIGGERS = ("\\", "`", "$", "![", "[", "<")
_PLACEHOLDER = re.compile("\x00(\\d+)\x01")
# Emphasis runs on escaped text. Each pattern starts with its literal (fast scanning) and
# consumes runs greedily; no pattern crosses "\x02\x03", and em never crosses a tag.
_STRONG_EM = re.compile(r"\*\*\*(?=[^\s*])([^*<\x02\x03]*[^\s*<\x02\x03])\*\*\*")
_STRONG_STAR = re.compile(
    r"\*\*(?=[^\s*])([^*\x02\x03]*(?:\*(?!\*)[^*\x02\x03]*)*?)(?<=[^\s*])\*\*"
)
_STRONG_UNDER = re.compile(
    r"__(?<![\w\\]__)(?=[^\s_])([^_\x02\x03]*(?:_(?!_)[^_\x02\x03]*)*?)(?<=[^\s_])__(?!\w)"
)
_EM_STAR = re.compile(r"\*(?<![*\\]\*)(?=[^\s*])([^*<\x02\x03]*[^\s*<\\\x02\x03])\*(?!\*)")
_EM_UNDER = re.compile(r"_(?<![\w\\]_)(?=[^\s_])([^_<\x02\x03]*[^\s_<\\\x02\x03])_(?!\w)")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_CONTROL_DROP = {0: None, 1: None, 2: None, 3: None}


def _has_box(text: str) -> bool:
    # max() runs at C speed; only text with a character at or above U+2500 needs the regex.
    return bool(text) and max(text) >= "\u2500" and _BOX.search(text) is not None


def _esc(text: str) -> str:
    return _html_escape(text, quote=False)


def _attr(text: str) -> str:
    return _html_escape(text, quote=True)


# ----------------------------------------------------------------------------- inline


def _inline(text: str) -> str:
    """Inline markup of one block of text (may contain newlines, which become <br>)."""
    # Cheap substring tests (C speed) decide which passes are needed at all.
    tokens = "`" in text or "$" in text or "[" in text or "\\" in text or "<" in text
    star = "*" in text
    under = "_" in text
    if not (tokens or star or under or "&" in text or ">" in text):
        return text.replace("\n", "<br>")
    frags: list[str] = []
    if tokens:
        text = _tokens(text, frags)
    if "&" in text or "<" in text or ">" in text:
        text = _esc(text)
    if star and "*" in text:
        if "***" in text:
            text = _wrap(_STRONG_EM, text, "<strong><em>", "</em></strong>")
        if "**" in text:
            text = _wrap(_STRONG_STAR, text, "<strong>", "</strong>")
        if "*" in text:
            text = _wrap(_EM_STAR, text, "<em>", "</em>")
    if under and "_" in text:
        if "__" in text:
            text = _wrap(_STRONG_UNDER, text, "<strong>", "</strong>")
        text = _wrap(_EM_UNDER, text, "<em>", "</em>")
    text = text.replace("\n", "<br>")
    if frags:
        text = _PLACEHOLDER.sub(lambda m: frags[int(m.group(1))], text)
    return text


def _tokens(text: str, frags: list[str]) -> str:
    """Replace code spans, math, links and escapes by placeholders (their HTML in frags).

    Same result as ``_TOKEN_AT`` preceded by a lookahead for those characters, used with
    ``sub``, but much faster on long text: tokens can only
    start at a trigger character, so those are found with str.find (C speed) and the
    pattern is tried only there, left to right, never inside an earlier token.
    """
    starts: list[int] = []
    for ch in _TRIGGERS:
        i = text.find(ch)
        while i >= 0:
            starts.append(i)
            i = text.find(ch, i + 1)
    if not starts:
        return text
    starts.sort()
    match = _TOKEN_AT.match
    out: list[str] = []
    last = 0
    for i in starts:
        if i < last:
            continue
        m = match(text, i)
        if m is None:
            continue
        out.append(text[last:i])
        out.append(f"\x00{len(frags)}\x01")
        frags.append(_token_html(m))
        last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _token_html(m: re.Match[str]) -> str:
    esc = m.group("esc")
    if esc is not None:
        return _esc(esc[1])
    code = m.group("codetext")
    if code is not None:
        code = code.replace("\n", " ")
        if len(code) > 2 and code[0] == " " and code[-1] == " " and code.strip():
            code = code[1:-1]
        return "<code>" + _esc(code) + "</code>"
    if m.group("dmath") is not None:
        return "\\[" + _esc(m.group("dmath").strip()) + "\\]"
    if m.group("math") is not None:
        return "\\(" + _esc(m.group("math")) + "\\)"
    url = m.group("auto")
    if url is not None:
        return f'<a href="{_attr(url)}">{_esc(url)}</a>'
    label = m.group("label")
    url = m.group("url")
    if m.group("img") is not None:
        return _inline(label)  # images become their alt text
    if url.lower().startswith(_SAFE_SCHEMES) and not any(ord(ch) < 32 for ch in url):
        return f'<a href="{_attr(url)}">{_inline(label) or _esc(url)}</a>'
    return _inline(label)  # javascript:, data:, relative ...: plain text


def _wrap(pattern: re.Pattern[str], text: str, open_tag: str, close_tag: str) -> str:
    """pattern.sub(open_tag + group 1 + close_tag, text), without a Python call per match:
    split() gives [text, group, text, group, ..., text] and slices interleave the tags."""
    parts = pattern.split(text)
    k = len(parts) // 2
    if not k:
        return text
    out = [""] * (4 * k + 1)
    out[0::4] = parts[0::2]
    out[1::4] = [open_tag] * k
    out[2::4] = parts[1::2]
    out[3::4] = [close_tag] * k
    return "".join(out)


# ----------------------------------------------------------------------------- tables


def split_table_row(line: str, ncols: int | None = None) -> list[str]:
    """Cells of a GFM table row (outer pipes optional, ``\\|`` is a literal pipe).

    When a row has more cells than the header (a stray ``|`` inside a cell, like
    ``m×|i-j|``), only pipes with whitespace on both sides count as separators; if that
    still does not fit, the extra cells are joined into the last one so nothing is lost.
    """
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    cells = _UNESCAPED_PIPE.split(s) if "\\" in s else s.split("|")
    if ncols is not None and len(cells) > ncols:
        spaced = _SPACED_PIPE.split(" " + s + " ")
        if len(spaced) == ncols:
            cells = spaced
        else:
            cells = [*cells[: ncols - 1], "|".join(cells[ncols - 1 :])]
    if "\\|" in s:
        return [c.strip().replace("\\|", "|") for c in cells]
    return [c.strip() for c in cells]


def _align(cell: str) -> str:
    c = cell.strip()
    left, right = c.startswith(":"), c.endswith(":")
    if left and right:
        return ' style="text-align:center"'
    if right:
        return ' style="text-align:right"'
    if left:
        return ' style="text-align:left"'
    return ""


def _row_cells(line: str, n: int) -> list[str]:
    """split_table_row's fast path for the common row (no backslash, right cell count)."""
    s = line.strip()
    if "\\" not in s:
        if s.startswith("|"):
            s = s[1:]
        if s.endswith("|"):
            s = s[:-1]
        cells = s.split("|")
        if len(cells) == n:
            return [c.strip() for c in cells]
    cells = split_table_row(line, n)
    return cells + [""] * (n - len(cells))


def _table(header: str, sep: str, rows: list[str]) -> str:
    heads = split_table_row(header)
    n = len(heads)
    aligns = [_align(c) for c in split_table_row(sep)][:n]
    aligns += [""] * (n - len(aligns))
    if rows and not any(aligns):
        fast = _table_fast(heads, rows)
        if fast is not None:
            return fast
    cells = list(heads)
    for row in rows:
        cells.extend(_row_cells(row, n))
    # One inline pass for the whole table ("\x02" between cells; nothing crosses it).
    html = _inline("\x02".join(cells)).split("\x02")
    head = "<tr>" + "".join(f"<th{aligns[k]}>{html[k]}</th>" for k in range(n)) + "</tr>"
    body = "".join(
        "<tr>" + "".join(f"<td{aligns[k]}>{html[r + k]}</td>" for k in range(n)) + "</tr>"
        for r in range(n, len(html), n)
    )
    if body:
        body = "<tbody>" + body + "</tbody>"
    return '<div class="lf-table"><table><thead>' + head + "</thead>" + body + "</table></div>"


def _table_fast(heads: list[str], rows: list[str]) -> str | None:
    """The common table (no alignment, no backslash, every row the header's width) with
    string operations on the whole block; None when the table needs the careful path."""
    n = len(heads)
    block = "\n" + "\n".join([r.strip() for r in rows]) + "\n"
    if "\\" in block or "\x02" in block:
        return None
    block = block.replace("\n|", "\n").replace("|\n", "\n")[1:-1]
    want = n - 1
    for line in block.split("\n"):
        if line.count("|") != want:
            return None
    cells = [c.strip() for c in block.replace("\n", "|\x03|").split("|")]
    text = "\x02".join(heads) + "\x03" + "\x02".join(cells).replace("\x02\x03\x02", "\x03")
    html = _inline(text)
    head, _, body = html.partition("\x03")
    return (
        '<div class="lf-table"><table><thead><tr><th>'
        + head.replace("\x02", "</th><th>")
        + "</th></tr></thead><tbody><tr><td>"
        + body.replace("\x02", "</td><td>").replace("\x03", "</td></tr><tr><td>")
        + "</td></tr></tbody></table></div>"
    )


# ----------------------------------------------------------------------------- blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_table_start(lines: list[str], i: int) -> bool:
    return (
        "|" in lines[i]
        and i + 1 < len(lines)
        and "|" in lines[i + 1]
        and "-" in lines[i + 1]
        and _TABLE_SEP.match(lines[i + 1]) is not None
    )


def _starts_block(lines: list[str], i: int) -> bool:
    """Does line i interrupt a paragraph?"""
    line = lines[i]
    s = line.lstrip()
    if not s:
        return True
    c = s[0]
    if c == "#":
        return _HEADING.match(line) is not None
    if c in "`~":
        return _FENCE.match(line) is not None
    if c == ">":
        return True
    if c in "-*_" and _HR.match(line):
        return True
    if (c in "-*+" or c.isdigit()) and _LIST.match(line):
        m = _LIST.match(line)
        return m is not None and bool(m.group(3))
    if c == "$" and s.rstrip() == "$$":
        return True
    if "|" in line and _is_table_start(lines, i):
        return True
    return _has_box(line)


def _blocks(lines: list[str], out: list[str], tight: bool = False) -> None:
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        s = line.strip()
        if not s:
            i += 1
            continue
        c = s[0]
        # fenced code
        if c in "`~":
            m = _FENCE.match(line)
            if m:
                fence = m.group(2)
                indent = len(m.group(1))
                lang = _LANG_BAD.sub("", m.group(3))[:30]
                ch = fence[0]
                j = i + 1
                while j < n:
                    t = lines[j]
                    if ch in t and fence in t:
                        t = t.strip()
                        if t[0] == ch and not t.strip(ch):
                            break
                    j += 1
                body = lines[i + 1 : j]
                if indent:
                    body = [ln[min(indent, _indent(ln)) :] for ln in body]
                code = "\n".join(body)
                i = j + 1
                if _has_box(code):
                    out.append(f'<pre class="lf-diagram">{_esc(code)}</pre>')
                elif lang:
                    out.append(
                        f'<pre class="lf-code"><code class="language-{lang}">{_esc(code)}</code></pre>'
                    )
                else:
                    out.append(f'<pre class="lf-code"><code>{_esc(code)}</code></pre>')
                continue
        if c == "#":
            m = _HEADING.match(line)
            if m:
                level = len(m.group(1))
                out.append(f"<h{level}>{_inline(m.group(2) or '')}</h{level}>")
                i += 1
                continue
        if c in "-*_" and _HR.match(line):
            out.append("<hr>")
            i += 1
            continue
        if c == ">":
            quoted: list[str] = []
            while i < n:
                t = lines[i].lstrip()
                if t.startswith(">"):
                    t = t[1:]
                    quoted.append(t[1:] if t.startswith(" ") else t)
                elif t and quoted and not _starts_block(lines, i):
                    quoted.append(t)  # lazy continuation
                else:
                    break
                i += 1
            inner: list[str] = []
            _blocks(quoted, inner)
            out.append("<blockquote>" + "".join(inner) + "</blockquote>")
            continue
        if c == "$" and s == "$$":
            body = []
            i += 1
            while i < n and lines[i].strip() != "$$":
                body.append(lines[i])
                i += 1
            i += 1
            out.append('<div class="lf-math">\\[' + _esc("\n".join(body).strip()) + "\\]</div>")
            continue
        if "|" in line and _is_table_start(lines, i):
            header, sep = line, lines[i + 1]
            i += 2
            rows = []
            while i < n and "|" in lines[i] and lines[i].strip():
                rows.append(lines[i])
                i += 1
            out.append(_table(header, sep, rows))
            continue
        if c in "-*+" or c.isdigit():
            m = _LIST.match(line)
            if m and (m.group(3) or c in "-*+"):
                i = _list(lines, i, out)
                continue
        if _has_box(line):
            diagram = [line]
            i += 1
            while i < n and lines[i].strip() and _DIAGRAM_CONT.search(lines[i]):
                diagram.append(lines[i])
                i += 1
            out.append(f'<pre class="lf-diagram">{_esc(_dedent(diagram))}</pre>')
            continue
        # paragraph
        para = [s]
        i += 1
        while i < n and lines[i].strip() and not _starts_block(lines, i):
            para.append(lines[i].strip())
            i += 1
        html = _inline("\n".join(para))
        out.append(html if tight else "<p>" + html + "</p>")


def _dedent(lines: list[str]) -> str:
    cut = min(_indent(ln) for ln in lines)
    return "\n".join(ln[cut:].rstrip() for ln in lines)


def _list(lines: list[str], i: int, out: list[str]) -> int:
    n = len(lines)
    first = _LIST.match(lines[i])
    assert first is not None
    base = len(first.group(1))
    ordered = first.group(2)[0].isdigit()
    start = int(first.group(2)[:-1]) if ordered else 1
    items: list[list[str]] = []
    loose = False
    while i < n:
        m = _LIST.match(lines[i])
        if not m or len(m.group(1)) >= base + 2 or len(m.group(1)) < base:
            break
        if m.group(2)[0].isdigit() != ordered:
            break
        content_indent = len(m.group(1)) + len(m.group(2)) + 1
        item = [m.group(3) or ""]
        i += 1
        while i < n:
            ln = lines[i]
            if not ln.strip():
                # a blank line: the item goes on only if indented content follows
                j = i + 1
                while j < n and not lines[j].strip():
                    j += 1
                if j < n and _indent(lines[j]) >= base + 2:
                    item.extend([""] * (j - i))
                    loose = True
                    i = j
                    continue
                nm = _LIST.match(lines[j]) if j < n else None
                if (
                    nm
                    and base <= len(nm.group(1)) < base + 2
                    and nm.group(2)[0].isdigit() == ordered
                ):
                    loose = True
                i = j
                break
            ind = _indent(ln)
            if ind >= base + 2:
                item.append(ln[min(ind, content_indent) :])
                i += 1
                continue
            if _LIST.match(ln) or _starts_block(lines, i):
                break
            item.append(ln.strip())  # lazy continuation of the item's paragraph
            i += 1
        items.append(item)
    tag = "ol" if ordered else "ul"
    attrs = f' start="{start}"' if ordered and start != 1 else ""
    parts = [f"<{tag}{attrs}>"]
    for item in items:
        inner: list[str] = []
        _blocks(item, inner, tight=not loose)
        parts.append("<li>" + "".join(inner) + "</li>")
    parts.append(f"</{tag}>")
    out.append("".join(parts))
    return i


# ----------------------------------------------------------------------------- fast path
#
# _blocks above is the reference: it walks the lines one by one. Lesson cards are mostly
# paragraphs, tables, simple lists and fenced code, so render_markdown handles those with
# string operations on the whole text and hands everything else (quotes, nested or loose
# lists, diagrams outside a fence, odd lines) to _blocks, one region at a time. A region
# always starts and ends where _blocks would be at the top level, so the output is the
# same as running _blocks on the whole text. All inline text of a card (paragraphs,
# headings, list items, table rows) then goes through _inline in ONE call, joined by
# "\x03" (no inline pattern crosses it; table cells inside a row are joined by "\x02").

# A line that may start a block, or is blank: the regex engine jumps from newline to
# newline (literal prefix) and every line it does not match is plain paragraph text.
_CAND = re.compile(
    r"\n[^\S\n]*(?:$|[\n#`~>$+-]|\*(?!\*[^\s*])|_[^\S\n]*_|\d{1,9}[.)]|\|[^\S\n]*:?-|:-)",
    re.M,
)
# A fence at column 0 (the info string has no pipe or arrow, so such a line could never
# continue a table or a diagram instead).
_TOP_FENCE = re.compile(r"(`{3,}|~{3,})[^\S\n]*([^`\s]*)[^`\n]*$", re.M)
_FENCE_ODD_INFO = re.compile("[|\u2190-\u25ff]")
_MATH_LINE = re.compile(r"^\s*\$\$\s*$", re.M)
_SIMPLE_ITEM = re.compile(r"([-*+]|\d{1,9}[.)])[ \t]+(\S.*)")
_PIPE_WS = re.compile(r"[^\S\n]*\|[^\S\n]*")
_LINE_EDGE_WS = re.compile(r"[^\S\n]*\n[^\S\n]*")
_CLOSERS: dict[str, re.Pattern[str]] = {}
# A line that _list would take as an item (see _LIST).
_ITEM_START = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|\n|\Z)")


def _list_goes_on(text: str, j: int) -> bool:
    """After a blank line, does a list go on with the line at j? Only with an indented line or
    an item ("**Bold:**" or "---" after a blank line end it)."""
    return text[j] == " " or _ITEM_START.match(text, j) is not None


_P, _H, _UL, _TABLE = 0, 1, 2, 3


class _Doc:
    """Skeleton of one card's HTML: blocks (finished HTML or None) + inline texts."""

    __slots__ = ("blocks", "count", "fill", "texts")

    def __init__(self) -> None:
        self.blocks: list[str | None] = []
        self.texts: list[str] = []
        # (block index, kind, first text, number of texts, extra)
        self.fill: list[tuple[int, int, int, int, object]] = []
        self.count = 0  # texts so far, counting each "\x03"-joined part

    def add(self, kind: int, text: str, extra: object = None, count: int = 1) -> None:
        """A block whose inline text (count texts joined by "\x03") is rendered later."""
        self.fill.append((len(self.blocks), kind, self.count, count, extra))
        self.blocks.append(None)
        self.texts.append(text)
        self.count += count

    def html(self) -> str:
        blocks = self.blocks
        if self.fill:
            r = _inline("\x03".join(self.texts)).split("\x03")
            for bi, kind, k, cnt, extra in self.fill:
                if kind == _P:
                    blocks[bi] = "<p>" + r[k] + "</p>"
                elif kind == _H:
                    blocks[bi] = f"<h{extra}>{r[k]}</h{extra}>"
                elif kind == _UL:
                    assert isinstance(extra, str)
                    close = extra[:3] if extra[:3] == "<ol" else "<ul"
                    blocks[bi] = (
                        extra
                        + "<li>"
                        + "</li><li>".join(r[k : k + cnt])
                        + "</li></"
                        + close[1:]
                        + ">"
                    )
                else:
                    assert isinstance(extra, list)
                    blocks[bi] = _table_html(r[k : k + cnt], extra)
        return "\n".join(blocks)  # type: ignore[arg-type]


def _table_html(rows: list[str], aligns: list[str]) -> str:
    head, body = rows[0], rows[1:]
    if not any(aligns):
        out = '<div class="lf-table"><table><thead><tr><th>' + head.replace("\x02", "</th><th>")
        if not body:
            return out + "</th></tr></thead></table></div>"
        return (
            out
            + "</th></tr></thead><tbody><tr><td>"
            + "</td></tr><tr><td>".join(body).replace("\x02", "</td><td>")
            + "</td></tr></tbody></table></div>"
        )
    n = len(aligns)
    cells = head.split("\x02")
    parts = ['<div class="lf-table"><table><thead><tr>']
    parts.extend(f"<th{aligns[k]}>{cells[k]}</th>" for k in range(n))
    parts.append("</tr></thead>")
    if body:
        parts.append("<tbody>")
        for row in body:
            cells = row.split("\x02")
            parts.append("<tr>")
            parts.extend(f"<td{aligns[k]}>{cells[k]}</td>" for k in range(n))
            parts.append("</tr>")
        parts.append("</tbody>")
    parts.append("</table></div>")
    return "".join(parts)


def _table_rows(header: str, sep: str, rows: list[str]) -> tuple[str, int, list[str]]:
    """(inline text: header + rows joined by "\x03", cells by "\x02"; number of rows;
    alignment attributes)."""
    heads = split_table_row(header)
    n = len(heads)
    if ":" in sep:
        aligns = [_align(c) for c in split_table_row(sep)][:n]
        aligns += [""] * (n - len(aligns))
    else:
        aligns = [""] * n
    head = "\x02".join(heads)
    if not rows:
        return head, 0, aligns
    block = "\n" + "\n".join(map(str.strip, rows)) + "\n"
    if "\\" not in block:
        # The common table with string operations on the whole block: outer pipes
        # dropped, every row the header's width, cells trimmed (map: loops in C).
        block = block.replace("\n|", "\n").replace("|\n", "\n")[1:-1]
        if set(map(str.count, block.split("\n"), repeat("|"))) == {n - 1}:
            cells = map(str.strip, block.replace("\n", "|\x03|").split("|"))
            body = "\x02".join(cells).replace("\x02\x03\x02", "\x03")
            return head + "\x03" + body, len(rows), aligns
    body = "\x03".join(["\x02".join(_row_cells(row, n)) for row in rows])
    return head + "\x03" + body, len(rows), aligns


def _line_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def _after_blank(text: str, j: int) -> int:
    """Start of the first line at or after line start j that is not blank."""
    n = len(text)
    while j < n:
        e = _line_end(text, j)
        if text[j:e].strip():
            return j
        j = e + 1
    return n


def _region_end(text: str, p: int) -> int:
    """End of the region from line start p that _blocks must render in one piece: the
    first blank line after which no list can go on (a list continues after a blank line
    with an indented or list-marker line)."""
    n = len(text)
    while True:
        k = text.find("\n\n", p)
        if k < 0:
            return n
        j = _after_blank(text, k + 1)
        if j >= n or not _list_goes_on(text, j):
            return k
        p = j


def _slow(doc: _Doc, region: str) -> None:
    out: list[str] = []
    _blocks(region.split("\n"), out)
    doc.blocks.extend(out)


def _para(doc: _Doc, text: str) -> None:
    text = text.strip()
    if "\n" in text:
        text = _LINE_EDGE_WS.sub("\n", text)
    doc.add(_P, text)


def _prose(doc: _Doc, seg: str) -> None:
    """Blocks of a stretch of text without top-level fences (see the comment above)."""
    if not seg.strip():
        return
    if not seg.isascii() and _BOX.search(seg):
        _slow(doc, seg)
        return
    text = "\n" + seg
    n = len(text)
    para = -1  # index of the "\n" before the open paragraph's first line
    pos = 0  # index of the "\n" before the next line to look at
    search = _CAND.search
    while True:
        m = search(text, pos)
        if m is None:
            if para < 0:
                para = pos
            _para(doc, text[para + 1 :])
            return
        at = m.start()  # the "\n" before the candidate line
        if para < 0 and at > pos:
            para = pos  # plain lines before the candidate open a paragraph
        end = text.find("\n", at + 1)  # (_line_end, inline: the loop's hottest call)
        if end < 0:
            end = n
        line = text[at + 1 : end]
        s = line.strip()
        if not s:  # blank line
            if para >= 0:
                _para(doc, text[para + 1 : at])
                para = -1
            pos = end
            if pos >= n:
                return
            continue
        if end < n:
            nxt_end = text.find("\n", end + 1)
            nxt = text[end + 1 :] if nxt_end < 0 else text[end + 1 : nxt_end]
        else:
            nxt = ""
        if para >= 0:
            # A table header is the paragraph's last line, this line its separator.
            hstart = text.rfind("\n", 0, at)
            header = text[hstart + 1 : at]
            if (
                "|" in header
                and "|" in line
                and "-" in line
                and _TABLE_SEP.match(line)
                and hstart >= para
            ):
                if hstart > para:
                    _para(doc, text[para + 1 : hstart])
                para = -1
                pos = _table_at(doc, text, header, line, end)
                if pos >= n:
                    return
                continue
            if not _starts_block([line, nxt], 0):
                # _blocks would continue the paragraph with this line: let it do so.
                e = _region_end(text, para + 1)
                _slow(doc, text[para + 1 : e])
                pos = e
                para = -1
                if pos >= n:
                    return
                continue
            _para(doc, text[para + 1 : at])
            para = -1
        # top level: the line starts a block
        c = s[0]
        if c == "#":
            hm = _HEADING.match(line)
            if hm:
                doc.add(_H, hm.group(2) or "", len(hm.group(1)))
                pos = end
                if pos >= n:
                    return
                continue
        elif c in "-*_" and _HR.match(line):
            doc.blocks.append("<hr>")
            pos = end
            if pos >= n:
                return
            continue
        if c not in "`~>$" and "|" in line and "|" in nxt and "-" in nxt and _TABLE_SEP.match(nxt):
            pos = _table_at(doc, text, line, nxt, _line_end(text, end + 1))
            if pos >= n:
                return
            continue
        if c in "-*+" or c.isdigit():
            e = _simple_list(doc, text, at + 1)
            if e >= 0:
                pos = e
                if pos >= n:
                    return
                continue
        # anything else (quotes, indented fences, nested or loose lists ...): _blocks
        e = _region_end(text, at + 1)
        _slow(doc, text[at + 1 : e])
        pos = e
        if pos >= n:
            return


def _table_at(doc: _Doc, text: str, header: str, sep: str, sep_end: int) -> int:
    """Add the table whose separator line ends at sep_end; return the index of the "\n"
    after its last row."""
    n = len(text)
    rows: list[str] = []
    pos = sep_end
    while pos < n:
        e = _line_end(text, pos + 1)
        row = text[pos + 1 : e]
        if "|" not in row or not row.strip():
            break
        rows.append(row)
        pos = e
    text, count, aligns = _table_rows(header, sep, rows)
    doc.add(_TABLE, text, aligns, count + 1)
    return pos


def _simple_list(doc: _Doc, text: str, start: int) -> int:
    """A list of one-line items without indentation, ending at a blank line after which
    no list goes on: add it and return the index of its last "\n"; else -1."""
    k = text.find("\n\n", start)
    end = len(text) if k < 0 else k
    if k >= 0:
        j = _after_blank(text, k + 1)
        if j < len(text) and _list_goes_on(text, j):
            return -1  # _blocks
    items: list[str] = []
    ordered: bool | None = None
    first = ""
    for line in text[start:end].split("\n"):
        m = _SIMPLE_ITEM.match(line)
        if m is None:
            return -1
        marker = m.group(1)
        num = marker[0].isdigit()
        if ordered is None:
            ordered, first = num, marker
        elif num != ordered:
            return -1
        content = m.group(2).strip()
        if _CAND.match("\n" + content):
            return -1
        items.append(content)
    if ordered:
        st = int(first[:-1])
        tag = f'<ol start="{st}">' if st != 1 else "<ol>"
    else:
        tag = "<ul>"
    doc.add(_UL, "\x03".join(items), tag, len(items))
    return end


def _closer(fence: str) -> re.Pattern[str]:
    pat = _CLOSERS.get(fence)
    if pat is None:
        pat = _CLOSERS[fence] = re.compile(
            "\\n[^\\S\\n]*" + re.escape(fence) + re.escape(fence[0]) + "*[^\\S\\n]*(?=\\n|\\Z)"
        )
    return pat


def _fence_html(code: str, lang: str) -> str:
    if not code.isascii() and _BOX.search(code):
        return f'<pre class="lf-diagram">{_esc(code)}</pre>'
    if lang:
        return f'<pre class="lf-code"><code class="language-{lang}">{_esc(code)}</code></pre>'
    return f'<pre class="lf-code"><code>{_esc(code)}</code></pre>'


def _render(md: str) -> str:
    doc = _Doc()
    n = len(md)
    pos = 0  # start of the prose not yet rendered
    look = 0  # where to look for the next fence
    while True:
        i = md.find("```", look)
        j = md.find("~~~", look)
        if i < 0 or (0 <= j < i):
            i = j
        if i < 0:
            break
        if i and md[i - 1] != "\n":
            k = md.rfind("\n", 0, i) + 1
            if md[k:i].isspace():
                return _render_lines(md)  # an indented fence (in a list item?)
            look = i + 3
            continue
        m = _TOP_FENCE.match(md, i)
        if m is None:
            look = i + 3
            continue
        if _FENCE_ODD_INFO.search(m.group(0)):
            # a pipe or arrow in the info string: the line might continue a table or a
            # diagram instead of opening a fence
            return _render_lines(md)
        _prose(doc, md[pos : max(pos, i - 1)])
        fence = m.group(1)
        lang = _LANG_BAD.sub("", m.group(2))[:30]
        body = m.end() + 1
        c = _closer(fence).search(md, m.end())
        if c is None:
            doc.blocks.append(_fence_html(md[body:] if body <= n else "", lang))
            return doc.html()
        doc.blocks.append(_fence_html(md[body : c.start()] if body <= c.start() else "", lang))
        pos = look = _line_end(md, c.start() + 1) + 1
    if pos < n:
        _prose(doc, md[pos:])
    return doc.html()


def render_markdown(md: str) -> str:
    """Markdown of a card side -> safe HTML (see the module docstring for what is supported)."""
    if not md:
        return ""
    md = _normalize(md)
    if "$$" in md and _MATH_LINE.search(md):
        # a $$ block may run across blank lines and fences: the careful path
        return _render_lines(md)
    return _render(md)


def _normalize(md: str) -> str:
    if "\r" in md:
        md = md.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in md or "\x01" in md or "\x02" in md or "\x03" in md:
        md = md.translate(_CONTROL_DROP)
    if "\t" in md:
        md = "\n".join(ln.expandtabs(4) if "\t" in ln else ln for ln in md.split("\n"))
    return md


def _render_lines(md: str) -> str:
    out: list[str] = []
    _blocks(md.split("\n"), out)
    return "\n".join(out)


def render_markdown_reference(md: str) -> str:
    """The same HTML as render_markdown, line by line through _blocks only (slow, simple):
    the reference the tests compare the fast path with."""
    return _render_lines(_normalize(md)) if md else ""
