"""The card renderer: the markdown lesson files use, and nothing unsafe ever gets through."""

from __future__ import annotations

import pytest

from addon.lesson.parse import parse_file
from addon.lesson.render import render_markdown, split_table_row

from .helpers import FIXTURES, tags_of, text_of, unsafe_parts


def test_paragraphs_keep_single_line_breaks() -> None:
    assert render_markdown("one\ntwo\n\nthree") == "<p>one<br>two</p>\n<p>three</p>"


def test_inline_markup() -> None:
    html = render_markdown("**bold** *em* _em2_ `a < b` and ***both***")
    assert html == (
        "<p><strong>bold</strong> <em>em</em> <em>em2</em> <code>a &lt; b</code> and "
        "<strong><em>both</em></strong></p>"
    )


def test_snake_case_and_arithmetic_are_not_emphasis() -> None:
    html = render_markdown("d_k = d_model/h and W_Q; 2 * 3 * 4; __init__ stays a dunder? ")
    assert "<em>" not in html
    assert "d_k = d_model/h and W_Q; 2 * 3 * 4" in html


def test_headings_hr_blockquote() -> None:
    html = render_markdown("## Title\n---\n> quoted *text*\n> more")
    assert html == (
        "<h2>Title</h2>\n<hr>\n<blockquote><p>quoted <em>text</em><br>more</p></blockquote>"
    )


def test_fenced_code_with_language_is_escaped_and_verbatim() -> None:
    md = "```python\nif a < b and c > d:\n    print('**not bold**', $x$)\n```"
    assert render_markdown(md) == (
        '<pre class="lf-code"><code class="language-python">if a &lt; b and c &gt; d:\n'
        "    print('**not bold**', $x$)</code></pre>"
    )


def test_code_language_cannot_inject_attributes() -> None:
    html = render_markdown('```js" onload="alert(1)\nx\n```')
    assert unsafe_parts(html) == []
    assert "onload" not in html


def test_tables_alignment_escaped_pipes_and_inline_markup() -> None:
    md = (
        "| Left | Center | Right |\n"
        "|:-----|:------:|------:|\n"
        "| **a** | `x \\| y` | [link](https://example.org) |\n"
        "| short |\n"
    )
    html = render_markdown(md)
    assert html.startswith('<div class="lf-table"><table><thead><tr>')
    assert '<th style="text-align:left">Left</th>' in html
    assert '<th style="text-align:center">Center</th>' in html
    assert '<td style="text-align:right"><a href="https://example.org">link</a></td>' in html
    assert '<td style="text-align:left"><strong>a</strong></td>' in html
    assert '<td style="text-align:center"><code>x | y</code></td>' in html
    # a short row is padded, never dropped
    assert html.count("<tr>") == 3
    assert unsafe_parts(html) == []


def test_table_markup_never_crosses_cells() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| **x | y** |\n| $p | q$ |")
    assert "<strong>" not in html and "\\(" not in html
    assert text_of(html).count("**") == 2


def test_split_table_row() -> None:
    assert split_table_row("| a | b \\| c |") == ["a", "b | c"]
    assert split_table_row("a | b") == ["a", "b"]
    # a stray pipe inside a cell (m×|i-j|) when the header says 3 columns
    assert split_table_row("| x | m×|i-j| y | z |", 3) == ["x", "m×|i-j| y", "z"]
    # nothing lost when the row really has too many cells
    assert split_table_row("|a|b|c|d|", 2) == ["a", "b|c|d"]


def test_nested_lists() -> None:
    md = "- one\n  - one.a\n    1. deep\n- two\n\n3. three\n4. four"
    html = render_markdown(md)
    assert html == (
        "<ul><li>one<ul><li>one.a<ol><li>deep</li></ol></li></ul></li><li>two</li></ul>\n"
        '<ol start="3"><li>three</li><li>four</li></ol>'
    )


def test_box_drawing_lines_outside_a_fence_stay_aligned() -> None:
    md = "Pipeline:\n┌──┐   ┌──┐\n│ A│──▶│ B│\n└──┘   └──┘\nDone."
    html = render_markdown(md)
    assert '<pre class="lf-diagram">┌──┐   ┌──┐\n│ A│──▶│ B│\n└──┘   └──┘</pre>' in html
    assert html.startswith("<p>Pipeline:</p>") and html.endswith("<p>Done.</p>")


def test_math_delimiters() -> None:
    assert render_markdown("area $\\pi r^2$ here") == "<p>area \\(\\pi r^2\\) here</p>"
    assert render_markdown("$$E = mc^2$$") == "<p>\\[E = mc^2\\]</p>"
    assert render_markdown("$$\na < b\n$$") == '<div class="lf-math">\\[a &lt; b\\]</div>'


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $10.",
        "Between $5-$10 a month",
        "Pay $ 5 or 6 $ later",
        "A \\$literal\\$ dollar",
    ],
)
def test_prices_are_not_math(text: str) -> None:
    html = render_markdown(text)
    assert "\\(" not in html and "\\[" not in html


def test_math_never_inside_code() -> None:
    html = render_markdown("`$x$` and\n```\n$y$ and $$z$$\n```")
    assert "\\(" not in html and "\\[" not in html
    assert "<code>$x$</code>" in html and "$y$ and $$z$$" in html


@pytest.mark.parametrize(
    "md",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<a href='javascript:alert(1)'>x</a>",
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click](  javascript:alert(1)  )",
        "[data](data:text/html;base64,PHNjcmlwdD4=)",
        "[rel](../../etc/passwd)",
        "![img](https://evil.example/x.png)",
        '<iframe src="https://evil.example"></iframe>',
        "<style>@import url(https://evil.example/x.css)</style>",
        '<link rel="stylesheet" href="https://fonts.example/f.css">',
        "| <b onclick=x()>c</b> |\n|---|\n| <svg onload=alert(1)> |",
        '[x](https://ok.example" onclick="alert(1))',
        '<https://ok.example/" onmouseover="alert(1)>',
        "```\n</code></pre><script>alert(1)</script>\n```",
        "`</code><script>x</script>`",
        "$</script><script>alert(1)$",
        "- <script>1</script>\n  > <script>2</script>",
    ],
)
def test_nothing_unsafe_survives(md: str) -> None:
    html = render_markdown(md)
    assert unsafe_parts(html) == [], html
    assert {t for t, _ in tags_of(html)} <= {
        "p", "a", "code", "pre", "div", "table", "thead", "tbody", "tr", "th", "td",
        "ul", "li", "blockquote", "br", "strong", "em",
    }, html  # fmt: skip


def test_script_shows_as_those_characters() -> None:
    html = render_markdown("Try <script>alert(1)</script> now")
    assert html == "<p>Try &lt;script&gt;alert(1)&lt;/script&gt; now</p>"
    assert text_of(html) == "Try <script>alert(1)</script> now"


def test_links() -> None:
    assert render_markdown("[docs](https://example.org/a?b=1&c=2)") == (
        '<p><a href="https://example.org/a?b=1&amp;c=2">docs</a></p>'
    )
    assert render_markdown("[mail](mailto:a@example.org)") == (
        '<p><a href="mailto:a@example.org">mail</a></p>'
    )
    # anything else becomes its text
    assert render_markdown("[click me](javascript:alert(1))") == "<p>click me</p>"
    assert render_markdown("<https://example.org>") == (
        '<p><a href="https://example.org">https://example.org</a></p>'
    )


def test_unsafe_fixture_cards() -> None:
    lesson = parse_file(FIXTURES / "Lesson_7_unsafe.md")
    c1, c2 = lesson.cards
    assert text_of(c1.front_html) == (
        "What does <script>alert(1)</script> do when a page echoes it unescaped?"
    )
    for c in lesson.cards:
        assert unsafe_parts(c.front_html) == [] and unsafe_parts(c.back_html) == []
    hrefs = [dict(a)["href"] for t, a in tags_of(c1.back_html) if t == "a"]
    assert hrefs == [
        "https://owasp.org/www-community/attacks/xss/",
        "https://example.org/a?b=1&c=2",
    ]
    assert "\\(a^2 + b^2\\)" in c2.back_html
    assert "<code>$z$</code>" in c2.back_html and "$y$ stays as is" in c2.back_html


def test_control_characters_and_crlf() -> None:
    assert render_markdown("a\x00b\x01c\x02d\r\ne") == "<p>abcd<br>e</p>"
    assert render_markdown("") == ""
