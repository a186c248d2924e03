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
_INLINE_TOKEN = re.compile(
    r"(?=[\\`$!\[<])(?:"  # cheap first-character filter
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
    # Cheap substring tests (C speed) decide which regex passes are needed at all.
    tokens = "`" in text or "$" in text or "[" in text or "\\" in text or "<" in text
    star = "*" in text
    under = "_" in text
    if not (tokens or star or under or "&" in text or ">" in text):
        return text.replace("\n", "<br>")
    frags: list[str] = []

    def token(m: re.Match[str]) -> str:
        kind = m.lastgroup
        if m.group("esc") is not None:
            html = _esc(m.group("esc")[1])
        elif m.group("codetext") is not None:
            code = m.group("codetext").replace("\n", " ")
            if len(code) > 2 and code[0] == " " and code[-1] == " " and code.strip():
                code = code[1:-1]
            html = "<code>" + _esc(code) + "</code>"
        elif m.group("dmath") is not None:
            html = "\\[" + _esc(m.group("dmath").strip()) + "\\]"
        elif m.group("math") is not None:
            html = "\\(" + _esc(m.group("math")) + "\\)"
        elif m.group("auto") is not None:
            url = m.group("auto")
            html = f'<a href="{_attr(url)}">{_esc(url)}</a>'
        else:
            label = m.group("label")
            url = m.group("url")
            if m.group("img") is not None:
                html = _inline(label)  # images become their alt text
            elif url.lower().startswith(_SAFE_SCHEMES) and not any(ord(ch) < 32 for ch in url):
                html = f'<a href="{_attr(url)}">{_inline(label) or _esc(url)}</a>'
            else:
                html = _inline(label)  # javascript:, data:, relative ...: plain text
        del kind
        frags.append(html)
        return f"\x00{len(frags) - 1}\x01"

    if tokens:
        text = _INLINE_TOKEN.sub(token, text)
    if "&" in text or "<" in text or ">" in text:
        text = _esc(text)
    if star and "*" in text:
        if "***" in text:
            text = _STRONG_EM.sub(_strong_em, text)
        if "**" in text:
            text = _STRONG_STAR.sub(_strong, text)
        if "*" in text:
            text = _EM_STAR.sub(_em, text)
    if under and "_" in text:
        if "__" in text:
            text = _STRONG_UNDER.sub(_strong, text)
        text = _EM_UNDER.sub(_em, text)
    text = text.replace("\n", "<br>")
    if frags:
        text = _PLACEHOLDER.sub(lambda m: frags[int(m.group(1))], text)
    return text


def _strong_em(m: re.Match[str]) -> str:
    return "<strong><em>" + m.group(1) + "</em></strong>"


def _strong(m: re.Match[str]) -> str:
    return "<strong>" + m.group(1) + "</strong>"


def _em(m: re.Match[str]) -> str:
    return "<em>" + m.group(1) + "</em>"


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


def render_markdown(md: str) -> str:
    """Markdown of a card side -> safe HTML (see the module docstring for what is supported)."""
    if not md:
        return ""
    if "\r" in md:
        md = md.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in md or "\x01" in md or "\x02" in md or "\x03" in md:
        md = md.translate(_CONTROL_DROP)
    if "\t" in md:
        md = "\n".join(ln.expandtabs(4) if "\t" in ln else ln for ln in md.split("\n"))
    out: list[str] = []
    _blocks(md.split("\n"), out)
    return "\n".join(out)
