"""HTML and Markdown articles: read into paragraphs losslessly, rendered back safely.

Pinned here: any input joins back byte for byte (generated documents, malformed markup,
random text); a repair that keeps the placeholders keeps the markup; what the model sees
of a block (kinds, placeholders, nothing it must not touch); the placeholder messages;
how changed words are escaped and wrapped; format detection; structure issues.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TypeVar, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repair.formats import Format, detect, parse
from repair.formats.html import escape as html_escape
from repair.formats.inline import PLACEHOLDER, placeholder_problem, plain, rewrap
from repair.formats.markdown import escape as markdown_escape
from repair.formats.markdown import same_markup
from repair.formats.text import BlockKind, Document
from repair.validation import check
from repair.validation.markup import html_skeleton, markdown_skeleton, structure_problems

T = TypeVar("T")

# Enough examples to find the corners, few enough that the file runs in seconds. (Each
# generated property passed 1,500 examples when this file was written.)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RANDOM = settings(PROPERTY, max_examples=300)  # random text is cheap to draw


# --- helpers ----------------------------------------------------------------------------


def _texts(document: Document) -> dict[str, str]:
    return {p.id: p.text for p in document.paragraphs}


def _louder(view: str) -> str:
    """A repair that keeps every placeholder: the words uppercased, one word added."""
    parts = PLACEHOLDER.split(view)
    # split() yields text, then the 3 groups of each placeholder, then text again.
    out = []
    for i in range(0, len(parts), 4):
        out.append(parts[i].upper())
        if i + 1 < len(parts):
            out.append(f"<{parts[i + 1]}t{parts[i + 2]}{parts[i + 3]}>")
    return "".join(out) + " indeed"


def _structure(source: str, repaired: str, fmt: Format) -> list[str]:
    """The `structure` issues `check` finds in a repair."""
    return [i.message for i in check(source, repaired, fmt).issues if i.kind == "structure"]


def _assert_well_numbered(view: str) -> None:
    """Placeholders are numbered in order from 1; each number is a pair that nests, or
    stands alone (`<tN/>`: an end tag with no start, a start tag never ended)."""
    tokens = [(m.group(1), int(m.group(2)), m.group(3)) for m in PLACEHOLDER.finditer(view)]
    numbers = list(dict.fromkeys(n for _, n, _ in tokens))
    assert numbers == list(range(1, len(numbers) + 1)), view
    open_: list[int] = []
    for closing, number, alone in tokens:
        if alone:
            assert [n for _, n, _ in tokens].count(number) == 1, view
        elif closing:
            assert open_.pop() == number, view
        else:
            open_.append(number)
    assert not open_, view


def _assert_round_trip(source: str, fmt: Format) -> Document:
    """`source` joins back byte for byte, as it is and through the render path; its
    paragraphs have no markup whitespace at either end and well-formed placeholders."""
    document = parse(source, fmt)
    assert document.join() == source
    assert document.join(_texts(document)) == source
    for paragraph in document.paragraphs:
        assert paragraph.text and paragraph.text == paragraph.text.strip(" \t\n\r\f")
        _assert_well_numbered(paragraph.text)
    return document


@cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=low, max_value=high)


@cache
def _one_of(*options: str) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


def _list(elements: st.SearchStrategy[T], low: int, high: int) -> st.SearchStrategy[list[T]]:
    return cast(st.SearchStrategy[list[T]], _lists(elements, low, high))


@cache  # a strategy made once is drawn from faster than one made at every draw
def _lists(elements: st.SearchStrategy[Any], low: int, high: int) -> st.SearchStrategy[Any]:
    return st.lists(elements, min_size=low, max_size=high)


_BOOL = st.booleans()


# --- generated HTML ---------------------------------------------------------------------

# News words with the marks a repair meets: quotes, dashes, numbers, an agency.
_WORDS = (
    "The minister said on Monday that 2.5% Kyiv $1.2bn it’s “quoted” (AFP) Mr. Zelensky "
    "and — not ten"
).split()
_HTML_ENTITIES = ["&amp;", "&nbsp;", "&#8220;", "&#8221;", "&rsquo;", "&lt;", "&gt;", "&#x2014;"]
_HTML_SPACE = st.sampled_from([" ", " ", " ", "\n", "\n  ", "  ", "\t", "\r\n"])
_URLS = st.sampled_from(["https://example.com/a?b=1&amp;c=2", "/news/1", "#fn1", "mailto:x@y.z"])
_TITLES = st.sampled_from(["", ' title="More"', " title='Single quoted'", " title=bare"])
_CLASSES = st.sampled_from(["", ' class="lead"', ' class="a b"', " id=x"])


_HTML_WORDS = st.lists(
    st.tuples(_HTML_SPACE, st.sampled_from(_WORDS + _HTML_ENTITIES)), min_size=1, max_size=6
).map(lambda pairs: "".join(space + word for space, word in pairs)[len(pairs[0][0]) :])


def html_words() -> st.SearchStrategy[str]:
    """A few words and entities, with markup whitespace between them."""
    return _HTML_WORDS


_HTML_ATOMS = st.sampled_from(
    [
        "<br>",
        "<br/>",
        "<br />",
        '<img src="a.jpg" alt="A photo">',
        "<img src=b.png>",
        '<sup><a href="#fn1" id="r1">1</a></sup>',
        "<sub>2</sub>",
        "<code>x &lt; y</code>",
        "<code>if (a) { b(); }</code>",
        "<!-- a note -->",
        "<wbr>",
    ]
)


@cache
def html_inline(depth: int = 2) -> st.SearchStrategy[str]:
    """Text with inline markup, words at both ends."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        count = draw(_ints(1, 3))
        out = draw(html_words())
        for _ in range(count):
            choice = draw(_ints(0, 6 if depth > 0 else 1))
            if choice == 0:
                piece = draw(html_words())
            elif choice == 1:
                piece = draw(_HTML_ATOMS)
            elif choice == 2:
                inner = draw(html_inline(depth - 1))
                piece = f'<a href="{draw(_URLS)}"{draw(_TITLES)}>{inner}</a>'
            else:
                tag = draw(_one_of("em", "strong", "b", "i", "span"))
                attrs = draw(_CLASSES) if tag == "span" else ""
                piece = f"<{tag}{attrs}>{draw(html_inline(depth - 1))}</{tag}>"
            out += draw(_one_of("", " ", "\n")) + piece
        end = draw(_one_of("", ".", " "))
        return out + end + (draw(html_words()) if end == " " else "")

    return build()


_HTML_RAW = st.sampled_from(
    [
        "<script>var p = '<p>not a paragraph</p>'; if (a < b && c) {}</script>",
        '<script type="application/ld+json">{"headline": "Hidden"}</script>',
        "<style>p > em { color: red; }</style>",
        "<pre>  keep   this\n  exactly &amp; so</pre>",
        "<pre><code>def f():\n    return 1</code></pre>",
        "<!-- a comment between blocks -->",
        '<iframe src="https://video.example/embed"></iframe>',
        "<hr>",
        "<noscript><p>Enable scripts</p></noscript>",
        "<template><p>Later</p></template>",
    ]
)


@cache
def html_blocks(depth: int = 2) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        count = draw(_ints(1, 3))
        out = []
        for _ in range(count):
            choice = draw(_ints(0, 10 if depth > 0 else 5))
            if choice in (0, 1):
                out.append(f"<p{draw(_CLASSES)}>{draw(html_inline())}</p>")
            elif choice == 2:
                level = draw(_ints(1, 6))
                out.append(f"<h{level}>{draw(html_inline(1))}</h{level}>")
            elif choice == 3:
                tag = draw(_one_of("ul", "ol"))
                items = draw(_list(html_inline(1), 1, 3))
                out.append(f"<{tag}>" + "".join(f"\n  <li>{i}</li>" for i in items) + f"\n</{tag}>")
            elif choice == 4:
                out.append(draw(_HTML_RAW))
            elif choice == 5:
                caption = draw(html_inline(1))
                out.append(
                    f'<figure>\n<img src="p.jpg" alt="x">\n<figcaption>{caption}</figcaption>\n'
                    "</figure>"
                )
            elif choice == 6:
                rows = draw(_list(_list(html_inline(0), 1, 3), 1, 3))
                body = "".join(
                    "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>\n" for row in rows
                )
                head = draw(_one_of("", "<thead><tr><th>Head</th></tr></thead>"))
                out.append(f"<table>{head}<tbody>\n{body}</tbody></table>")
            elif choice == 7:
                out.append(f"<blockquote>{draw(html_blocks(depth - 1))}</blockquote>")
            elif choice == 8:
                out.append(f"<div{draw(_CLASSES)}>\n{draw(html_blocks(depth - 1))}\n</div>")
            elif choice == 9:
                # An item holding a nested list.
                inner = draw(html_inline(0))
                out.append(f"<ul><li>{inner}<ul><li>{draw(html_inline(0))}</li></ul></li></ul>")
            else:
                out.append(f"<section>{draw(html_blocks(depth - 1))}</section>")
        return "".join(draw(_HTML_SPACE | st.just("")) + b for b in out)

    return build()


@st.composite
def html_documents(draw: st.DrawFn) -> str:
    """A well-formed article: a fragment, or a whole page with a head."""
    body = draw(html_blocks())
    if draw(_BOOL):
        return body + draw(_one_of("", "\n"))
    head = "<head><meta charset=utf-8><title>A &amp; B</title><style>p{}</style></head>"
    return f"<!DOCTYPE html>\n<html lang=en>{head}\n<body>\n{body}\n</body>\n</html>\n"


_HTML_BROKEN = st.sampled_from(
    [
        "<p>unclosed paragraph",
        "</div>",
        "</p>",
        "</em>",
        "<b><i>misnested</b></i>",
        "<p>outer<p>inner</p></p>",
        " a lone < sign ",
        " a lone & sign ",
        "&#",
        "&amp",
        "&nosuchentity;",
        "<!-- unterminated comment",
        "<a href=foo title=bar>unquoted</a>",
        "<p class='x>broken quote</p>",
        "<p",
        "</",
        "<",
        "<![CDATA[x < y]]>",
        "<?php echo 1 ?>",
        "<!DOCTYPE",
        "</p   >",
        "<td>orphan cell",
        "<li>orphan item",
        "<script>never closed",
        "<code>never closed",
        "<em>never closed",
        "<textarea></p></textarea>",
        "<t1>looks like a placeholder</t1>",
        "&lt;t1&gt; escaped placeholder",
    ]
)


_BROKEN_PIECES = _list(_HTML_BROKEN | html_blocks(1) | html_inline(1) | html_words(), 0, 6)


@st.composite
def broken_html(draw: st.DrawFn) -> str:
    pieces = draw(_BROKEN_PIECES)
    return "".join(draw(_one_of("", " ", "\n")) + p for p in pieces)


_HTML_ALPHABET = st.sampled_from([*"<>/&;#!-=\"' \n\tapbdivemscrt1", "\r", "\x00", "é"])


@given(html_documents())
@PROPERTY
def test_generated_html_round_trips(source: str) -> None:
    document = _assert_round_trip(source, Format.HTML)
    seen = " ".join(p.text for p in document.paragraphs)
    for hidden in ("not a paragraph", "Hidden", "keep", "color", "return 1", "Enable", "Later"):
        assert hidden not in seen


@given(broken_html())
@PROPERTY
def test_malformed_html_round_trips(source: str) -> None:
    _assert_round_trip(source, Format.HTML)


@given(st.text(max_size=300) | st.text(_HTML_ALPHABET, max_size=200))
@RANDOM
def test_random_text_round_trips_as_html(source: str) -> None:
    _assert_round_trip(source, Format.HTML)


@given(html_documents())
@PROPERTY
def test_html_repair_that_keeps_placeholders_keeps_the_markup(source: str) -> None:
    document = parse(source, Format.HTML)
    repaired = document.join({p.id: _louder(p.text) for p in document.paragraphs})
    assert html_skeleton(repaired) == html_skeleton(source)
    assert _structure(source, repaired, Format.HTML) == []


# --- generated Markdown -----------------------------------------------------------------

_MD_WORDS = [*_WORDS, "&amp;", "\\*", "3 \\* 4", "AT&amp;T", "snake\\_case", "a-b", "50/50"]
_MD_SPACE = st.sampled_from([" ", " ", " ", "\n"])
_MD_ATOMS = st.sampled_from(
    [
        "`code`",
        "`` a`b ``",
        "![a photo](img/a.jpg)",
        '![chart](c.png "Title")',
        "<br>",
        "[^1]",
        "<img src=x.png>",
        "&copy;",
    ]
)
_MD_URLS = st.sampled_from(
    ["https://example.com/a?b=1", "/news/1", "<https://x.y/with space>", "#top"]
)


_MD_WORD_LIST = st.lists(st.sampled_from(_MD_WORDS), min_size=1, max_size=5).map(" ".join)


def md_words() -> st.SearchStrategy[str]:
    return _MD_WORD_LIST


# Emphasis around a link, and a delimiter run that closes two emphases at once
# ("**a *b***"), once lost their emphasis when the words beside them changed; the repair
# property generates both (see also test_emphasis_survives_a_repair).
_LINKS_IN_EMPHASIS = True
_SHARED_DELIMITER_RUNS = True


@cache
def md_inline(depth: int = 2, *, breaks: bool = True, links: bool = True) -> st.SearchStrategy[str]:
    """A line (or, with `breaks`, lines) of Markdown text with inline markup."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        out = draw(md_words())
        for _ in range(draw(_ints(1, 4))):
            choice = draw(_ints(0, 9 if depth > 0 else 1))
            if not links and choice in (2, 3, 4):
                choice = 0
            if choice == 0:
                piece = draw(md_words())
            elif choice == 1:
                piece = draw(_MD_ATOMS)
            elif choice == 2:
                inner = draw(md_inline(0, breaks=False))
                title = draw(_one_of("", ' "A title"'))
                piece = f"[{inner}]({draw(_MD_URLS)}{title})"
            elif choice == 3:
                piece = f"[{draw(md_words())}][{draw(_one_of('r1', 'R2'))}]"
            elif choice == 4:
                piece = "[Reuters]"
            elif choice == 5:
                piece = f'<span class="x">{draw(md_words())}</span>'
            else:
                mark = draw(_one_of("*", "_", "**", "__", "~~"))
                inner = draw(md_inline(depth - 1, breaks=False, links=_LINKS_IN_EMPHASIS))
                if not _SHARED_DELIMITER_RUNS and inner[-1] in "*_~":
                    inner += " " + draw(md_words())
                piece = f"{mark}{inner}{mark}"
            space = draw(_MD_SPACE if breaks else st.just(" "))
            if breaks and draw(_ints(0, 5)) == 0:
                space = draw(_one_of("  \n", "\\\n"))
            out += space + piece
        return out + draw(_one_of("", ".", ","))

    return build()


@cache
@st.composite
def md_list(draw: st.DrawFn) -> str:
    ordered = draw(_BOOL)
    items = draw(_list(md_inline(1, breaks=False), 1, 3))
    lines = []
    for n, item in enumerate(items, 1):
        marker = f"{n}. " if ordered else draw(_one_of("- ", "* ", "+ "))
        lines.append(marker + item)
        if draw(_BOOL):
            indent = " " * len(marker)
            lines.append(f"{indent}- {draw(md_inline(1, breaks=False))}")
        if draw(_ints(0, 3)) == 0:
            lines.append(" " * len(marker) + draw(md_words()))  # a continuation line
    return "\n".join(lines)


@cache
@st.composite
def md_quote(draw: st.DrawFn) -> str:
    lines = [f"> {draw(md_inline(1, breaks=False))}"]
    for _ in range(draw(_ints(0, 2))):
        lazy = draw(_BOOL)
        lines.append(("" if lazy else "> ") + draw(md_words()))
    return "\n".join(lines)


_CELL = md_inline(0, breaks=False) | st.just("a \\| b")


@cache
@st.composite
def md_table(draw: st.DrawFn) -> str:
    width = draw(_ints(1, 3))
    cells = _list(_CELL, width, width)
    head = draw(cells)
    rows = draw(_list(cells, 1, 3))
    align = draw(_one_of("---", ":---", ":---:", "---:"))
    lines = [head, [align] * width, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


@cache
@st.composite
def md_block(draw: st.DrawFn) -> str:
    choice = draw(_ints(0, 12))
    if choice in (0, 1, 2):
        return draw(md_inline())
    if choice == 3:
        level = draw(_ints(1, 6))
        closing = draw(_one_of("", " " + "#" * level))
        return "#" * level + " " + draw(md_inline(1, breaks=False)) + closing
    if choice == 4:
        underline = draw(_one_of("===", "---", "=========="))
        return draw(md_inline(1, breaks=False)) + "\n" + underline
    if choice == 5:
        return draw(md_list())
    if choice == 6:
        return draw(md_quote())
    if choice == 7:
        fence = draw(_one_of("```", "~~~", "````"))
        info = draw(_one_of("", "python", "js title=x"))
        return f"{fence}{info}\n# not a heading\n*not* [a](link)\n{fence}"
    if choice == 8:
        # The paragraph before it ends any list that would take the indented lines in.
        return "Code follows:\n\n    indented *code*\n    [not](a link)"
    if choice == 9:
        return draw(md_table())
    if choice == 10:
        return '<div class="note">\n<p>An HTML block</p>\n</div>'
    if choice == 11:
        return draw(_one_of("***", "* * *", "___"))
    return f"> {draw(md_inline(0, breaks=False))}\n>\n> {draw(md_words())}"


@st.composite
def md_documents(draw: st.DrawFn) -> str:
    """A well-formed Markdown article with front matter and reference definitions."""
    blocks = draw(_list(md_block(), 1, 6))
    if draw(_BOOL):
        blocks.insert(0, '---\ntitle: "A & B"\ntags: [news, world]\n---')
    blocks.append(
        '[r1]: https://example.com/r1\n[R2]: /r2 "Second"\n[reuters]: https://reuters.com\n'
        "[^1]: The footnote text."
    )
    out = blocks[0]
    for block in blocks[1:]:
        out += draw(_one_of("\n\n", "\n\n\n", "\n \n")) + block
    return out + draw(_one_of("", "\n", "\n\n"))


_MD_ALPHABET = st.sampled_from([*"#*_`[]()!<>|\\-=+:~ \n\t1.abc^\"'&;", "\r", "é"])


@given(md_documents())
@PROPERTY
def test_generated_markdown_round_trips(source: str) -> None:
    document = _assert_round_trip(source, Format.MARKDOWN)
    seen = " ".join(p.text for p in document.paragraphs)
    for hidden in ("title:", "not a heading", "indented", "HTML block"):
        assert hidden not in seen


@given(st.text(max_size=300) | st.text(_MD_ALPHABET, max_size=200))
@RANDOM
def test_random_text_round_trips_as_markdown(source: str) -> None:
    _assert_round_trip(source, Format.MARKDOWN)


@given(md_documents())
@PROPERTY
def test_markdown_repair_that_keeps_placeholders_keeps_the_markup(source: str) -> None:
    """As the pipeline does: a block whose changed words would change the markup (the
    scanner is simpler than CommonMark) is refused by its check and keeps its words."""
    document = parse(source, Format.MARKDOWN)
    texts = {}
    for p in document.paragraphs:
        assert p.inline is not None
        if p.inline.problem(_louder(p.text)) is None:
            texts[p.id] = _louder(p.text)
    repaired = document.join(texts)
    assert _structure(source, repaired, Format.MARKDOWN) == []
    assert markdown_skeleton(repaired) == markdown_skeleton(source)


# --- what the model sees ----------------------------------------------------------------

P, H, C = BlockKind.PARAGRAPH, BlockKind.HEADING, BlockKind.CAPTION


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<h1>Peace <em>talks</em> resume</h1>", [(H, "Peace <t1>talks</t1> resume")]),
        ("<h4>Minor news</h4><p>Body text.</p>", [(H, "Minor news"), (P, "Body text.")]),
        ("<p>He said<br>no.</p>", [(P, "He said<t1/>no.")]),
        ("<p>He said<br/>no<wbr>w.</p>", [(P, "He said<t1/>no<t2/>w.")]),
        (
            '<p>Read <a href="https://x.y/a" title="T">the <b>full</b> report</a> here.</p>',
            [(P, "Read <t1>the <t2>full</t2> report</t1> here.")],
        ),
        (
            '<figure><img src="a.jpg" alt="A"><figcaption>Putin in <i>Moscow</i></figcaption>'
            "</figure>",
            [(C, "Putin in <t1>Moscow</t1>")],
        ),
        (
            "<table><caption>Results</caption><tr><th>Party</th><td>Votes cast</td></tr></table>",
            [(C, "Results"), (P, "Party"), (P, "Votes cast")],
        ),
        ("<ul><li>First item</li><li>Second</li></ul>", [(P, "First item"), (P, "Second")]),
        ("<ol>\n  <li>One\n  <li>Two\n</ol>", [(P, "One"), (P, "Two")]),
        ("<blockquote><p>Quoted words.</p></blockquote>", [(P, "Quoted words.")]),
        ("<div>Loose <span class=x>text</span></div>", [(P, "Loose <t1>text</t1>")]),
        ('<p>Cited<sup><a href="#fn1">1</a></sup> here.</p>', [(P, "Cited<t1/> here.")]),
        ("<p>Write <code>a &lt; b</code> now.</p>", [(P, "Write <t1/> now.")]),
        ("<p>A<!-- note --> B.</p>", [(P, "A<t1/> B.")]),
        (
            "<p>Fish &amp; chips&nbsp;today &#8220;quoted&#8221; it&rsquo;s</p>",
            [(P, "Fish & chips\xa0today “quoted” it’s")],
        ),
        ("<p>Split\n   over\n\tlines</p>", [(P, "Split over lines")]),
        ("<p>Unclosed <b>bold text.</p>", [(P, "Unclosed <t1/>bold text.")]),
        # Markup still open at the end of the input is markup, as to a browser.
        ("<p>Cut off <!-- a comment", [(P, "Cut off <t1/>")]),
        ('<p>Cut off <span class="x', [(P, "Cut off <t1/>")]),
        # A close with nothing to close stands alone, so pairs always nest.
        ("<p>Stray </em>end.</p>", [(P, "Stray <t1/>end.")]),
        # Text that reads as a placeholder is never sent: the answer could not be checked.
        ("<p>Fine.</p><p>&lt;t1&gt; is text</p>", [(P, "Fine.")]),
        ("<p> </p><p><br></p><p><img src=x></p>", []),
    ],
)
def test_what_the_model_sees_of_html(source: str, expected: list[tuple[BlockKind, str]]) -> None:
    document = _assert_round_trip(source, Format.HTML)
    assert [(p.kind, p.text) for p in document.paragraphs] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "---\ntitle: Peace\n---\n# Peace *talks*\n\nBody text.\n",
            [(H, "Peace <t1>talks</t1>"), (P, "Body text.")],
        ),
        ("Setext heading\n---\n\nText.\n", [(H, "Setext heading"), (P, "Text.")]),
        ("Setext heading\n===\n", [(H, "Setext heading")]),
        (
            'Read [the report](https://x.y "T") now.\n',
            [(P, "Read <t1>the report</t1> now.")],
        ),
        ("See ![a photo](a.jpg) here.\n", [(P, "See <t1/> here.")]),
        ("Wrapped over\ntwo lines.\n", [(P, "Wrapped over two lines.")]),
        (
            "- one item\n- two\n\n1. first\n2. second\n",
            [(P, "one item"), (P, "two"), (P, "first"), (P, "second")],
        ),
        ("- outer\n  - inner item\n", [(P, "outer"), (P, "inner item")]),
        ("> quoted line\n> and more\nlazy\n", [(P, "quoted line and more lazy")]),
        (
            "| Party | Votes \\| seats |\n|---|---|\n| Labour | 412 |\n",
            [(P, "Party"), (P, "Votes | seats"), (P, "Labour"), (P, "412")],
        ),
        (
            "Hard  \nbreak\\\nthere `code` and <span>html</span>[^1] and **bold** _em_.\n",
            [
                (
                    P,
                    "Hard<t1/>break<t2/>there <t3/> and <t4>html</t4><t5/> "
                    "and <t6>bold</t6> <t7>em</t7>.",
                )
            ],
        ),
        (
            "See [the agency][r] and [Reuters].\n\n[r]: https://r.com\n[reuters]: https://reuters.com\n",
            # A shortcut reference is its own label: the model may not change it.
            [(P, "See <t1>the agency</t1> and <t2/>.")],
        ),
        ("Fish &amp; chips \\*not emphasis\\*.\n", [(P, "Fish & chips *not emphasis*.")]),
        ("Text\n\n```\ncode words\n```\n\n    indented words\n", [(P, "Text")]),
        ("<div>\nhtml block words\n</div>\n\nAfter.\n", [(P, "After.")]),
        ("Fine.\n\n&lt;t1&gt; is text\n", [(P, "Fine.")]),
    ],
)
def test_what_the_model_sees_of_markdown(
    source: str, expected: list[tuple[BlockKind, str]]
) -> None:
    document = _assert_round_trip(source, Format.MARKDOWN)
    assert [(p.kind, p.text) for p in document.paragraphs] == expected


@pytest.mark.parametrize(
    "source",
    [
        "<p>Before.</p><script>var x = '<p>SECRET</p>';</script><p>After.</p>",
        "<p>Before.</p><style>.SECRET { color: red }</style>",
        "<p>Before.</p><pre>SECRET\n  words</pre>",
        "<p>Before <code>SECRET()</code> after.</p>",
        "<p>Before <kbd>SECRET</kbd> <samp>SECRET</samp> after.</p>",
        '<p>Before <iframe src="x">SECRET</iframe> after.</p>',
        "<p>Before <video src=v>SECRET</video> <svg><text>SECRET</text></svg> after.</p>",
        '<p class="SECRET" data-x="SECRET">Before <a href="/SECRET" title="SECRET">x</a>.</p>',
        '<p>Before <img alt="SECRET" src="SECRET.jpg"> after.</p>',
        "<p>Before<!-- SECRET --> after.</p><!-- SECRET -->",
        "<head><title>SECRET</title><meta name=x content=SECRET></head><p>Before.</p>",
        "<p>Before.</p><noscript>SECRET</noscript><template><p>SECRET</p></template>",
        "<p>Before <textarea>SECRET</textarea> after.</p>",
    ],
)
def test_html_the_model_must_not_touch_is_never_in_a_paragraph(source: str) -> None:
    document = _assert_round_trip(source, Format.HTML)
    assert document.paragraphs
    assert not [p.text for p in document.paragraphs if "SECRET" in p.text]


@pytest.mark.parametrize(
    "source",
    [
        "---\ntitle: SECRET\n---\n\nBefore.\n",
        "Before.\n\n```python\nSECRET = 1\n```\n",
        "Before.\n\n~~~\nSECRET\n~~~\n",
        "Before.\n\n    SECRET indented\n",
        "Before `SECRET` after.\n",
        'Before [x](https://SECRET.com "SECRET") after.\n',
        "Before ![SECRET](SECRET.png) after.\n",
        "Before [x][SECRET] after.\n\n[SECRET]: https://SECRET.com\n",
        '<div class="SECRET">\nSECRET\n</div>\n\nBefore.\n',
        'Before <span class="SECRET">x</span> after.\n',
        "Before.\n\n<!-- SECRET -->\n",
    ],
)
def test_markdown_the_model_must_not_touch_is_never_in_a_paragraph(source: str) -> None:
    document = _assert_round_trip(source, Format.MARKDOWN)
    assert document.paragraphs
    assert not [p.text for p in document.paragraphs if "SECRET" in p.text]


def test_plain_reads_words_and_separates_them_at_atoms() -> None:
    assert plain("Kyiv<t1/>Moscow and <t2>the report</t2>.") == "Kyiv Moscow and the report."


# --- placeholder messages ---------------------------------------------------------------

_SOURCE_VIEW = "Read <t1>the <t2>full</t2> report</t1> here.<t3/>"


@pytest.mark.parametrize(
    ("answer", "named", "why"),
    [
        ("Read the <t2>full</t2> report</t1> here.<t3/>", "<t1>", "missing"),
        ("Read <t1>the <t2>full</t2> report</t1> here.", "<t3/>", "missing"),
        ("Read <t1>the <t2>full</t2> report</t1> here.<t3/><t3/>", "<t3/>", "more than once"),
        ("Read <t1>the <t2>full</t2> report</t1> here.<t3/><t4/>", "<t4/>", "not in the source"),
        ("Read <t1>the <t2>full</t2> report</t1> <t5>x</t5>.<t3/>", "<t5>", "not in the source"),
        (
            "<t3/>Read <t1>the <t2>full</t2> report</t1> here.",
            "in the order <t1> <t2> </t2> </t1> <t3/>",
            "another order",
        ),
        ("Read <t1>the <t2>full report</t1></t2> here.<t3/>", "</t1> does not nest", "order"),
    ],
)
def test_placeholder_problem_names_the_placeholder(answer: str, named: str, why: str) -> None:
    message = placeholder_problem(_SOURCE_VIEW, answer)
    assert message is not None
    assert named in message and why in message


@pytest.mark.parametrize(
    "answer",
    [
        _SOURCE_VIEW,
        "READ <t1>THE <t2>FULL</t2> REPORT</t1> HERE, NOW.<t3/>",
        "<t1><t2></t2></t1><t3/>",
    ],
)
def test_placeholder_problem_is_none_for_the_same_placeholders(answer: str) -> None:
    assert placeholder_problem(_SOURCE_VIEW, answer) is None


def test_render_refuses_other_placeholders() -> None:
    paragraph = parse("<p>Read <em>this</em>.</p>", Format.HTML).paragraphs[0]
    with pytest.raises(ValueError, match="<t1>"):
        paragraph.render("Read this.")


# --- rendering changed words ------------------------------------------------------------


def _render(source: str, fmt: Format, view: str) -> str:
    document = parse(source, fmt)
    assert len(document.paragraphs) == 1
    return document.join({"P1": view})


@pytest.mark.parametrize(
    ("source", "view", "expected"),
    [
        (
            "<p>Tom <em>and</em> Jerry</p>",
            "Tom & <t1>and</t1> Jerry <3",
            "<p>Tom &amp; <em>and</em> Jerry &lt;3</p>",
        ),
        (
            "<p>Tom</p>",
            "<b>Tom</b> &amp; x > y",
            "<p>&lt;b&gt;Tom&lt;/b&gt; &amp;amp; x &gt; y</p>",
        ),
        # Entities of the replaced stretch keep their spelling; the rest stays as it was.
        (
            "<p>Caf&eacute;&nbsp;au lait, &#8220;now&#8221; it&rsquo;s</p>",
            "Café\xa0au lait, “then” it’s",
            "<p>Caf&eacute;&nbsp;au lait, &#8220;then&#8221; it&rsquo;s</p>",
        ),
        # Line breaks and their indentation stay where the source had them.
        (
            "<p>one two three\n    four five six</p>",
            "ONE TWO THREE FOUR FIVE SIX",
            "<p>ONE TWO THREE\n    FOUR FIVE SIX</p>",
        ),
        # A stretch the model left alone keeps its bytes, entities and line breaks and all.
        (
            "<p>a&amp;b\n  c <em>d</em> e</p>",
            "a&b c <t1>D</t1> e",
            "<p>a&amp;b\n  c <em>D</em> e</p>",
        ),
    ],
)
def test_html_render_escapes_changed_words(source: str, view: str, expected: str) -> None:
    repaired = _render(source, Format.HTML, view)
    assert repaired == expected
    assert html_skeleton(repaired) == html_skeleton(source)


_LOUD = "ONE TWO THREE FOUR FIVE SIX"


@pytest.mark.parametrize(
    ("source", "view", "expected"),
    [
        (
            "Plain words here.\n",
            "Plain *words* _here_ [now] `x` <b> AT&amp;T",
            "Plain \\*words\\* \\_here\\_ \\[now\\] \\`x\\` \\<b\\> AT\\&amp;T\n",
        ),
        ("Plain words here.\n", "# Not a heading", "\\# Not a heading\n"),
        ("Plain words here.\n", "1. Not a list", "1\\. Not a list\n"),
        ("Plain words here.\n", "- Not an item", "\\- Not an item\n"),
        ("Plain words here.\n", "+ Not an item", "\\+ Not an item\n"),
        # What the wrapping puts at the start of a line is escaped there.
        ("Some words\nmore words.\n", "Some words # more", "Some words\n\\# more\n"),
        ("Some words\nmore words.\n", "Some words 1. more", "Some words\n1\\. more\n"),
        ("Some words\nmore words.\n", "Some words 2) more", "Some words\n2\\) more\n"),
        ("Some words\nmore words.\n", "Some words > more", "Some words\n\\> more\n"),
        ("Some words\nmore words.\n", "Some words - more", "Some words\n\\- more\n"),
        # Line breaks keep the markers that continue the block.
        ("> one two three\n> four five six\n", _LOUD, "> ONE TWO THREE\n> FOUR FIVE SIX\n"),
        ("- one two three\n  four five six\n", _LOUD, "- ONE TWO THREE\n  FOUR FIVE SIX\n"),
        (
            "Read *this* now [and](https://x.y) &amp; then.\n",
            "Read <t1>THIS</t1> now <t2>AND</t2> & then.",
            "Read *THIS* now [AND](https://x.y) &amp; then.\n",
        ),
    ],
)
def test_markdown_render_escapes_changed_words(source: str, view: str, expected: str) -> None:
    repaired = _render(source, Format.MARKDOWN, view)
    assert repaired == expected
    assert same_markup(source, repaired)
    paragraph = parse(source, Format.MARKDOWN).paragraphs[0]
    assert paragraph.inline is not None and paragraph.inline.problem(view) is None
    assert _structure(source, repaired, Format.MARKDOWN) == []


@pytest.mark.parametrize(
    ("text", "old", "expected"),
    [
        ("alpha beta gamma delta", "aaaaa bbbbb\nccccc ddddd", "alpha beta\ngamma delta"),
        ("alpha beta gamma delta", "aaaaa\n> bbbbb ccccc", "alpha\n> beta gamma delta"),
        ("alphabetagamma delta", "aaa\nbbb", "alphabetagamma\ndelta"),  # no shorter cut
        ("alpha beta", "aaa bbb", "alpha beta"),  # the source had no break
        ("alpha", "aaa\nbbb", "alpha"),  # nowhere to break
    ],
)
def test_rewrap_breaks_where_the_source_did(text: str, old: str, expected: str) -> None:
    assert rewrap(text, old, re.compile(r"\n(?:> )?")) == expected


def test_escapers_leave_plain_words_alone() -> None:
    assert html_escape("Plain words, 2.5% up.") == "Plain words, 2.5% up."
    assert markdown_escape("Plain words, 2.5% up.") == "Plain words, 2.5% up."


# --- detect -----------------------------------------------------------------------------

_NEWS = (
    "The minister said on Monday that the budget would be cut by a third.\n\n"
    "He listed the measures:\n- the cuts are temporary, he said.\n\n"
    "Officials said the deficit would fall below 3% next year.\n"
)


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Plain words.", "article.html", Format.HTML),
        ("Plain words.", "ARTICLE.HTM", Format.HTML),
        ("Plain words.", "article.md", Format.MARKDOWN),
        ("Plain words.", "article.markdown", Format.MARKDOWN),
        ("<p>One</p><p>Two</p>", "article.txt", Format.TEXT),  # the suffix wins
        ("# Title\n\n**Bold** words", "notes.unknown", Format.MARKDOWN),  # unknown suffix: content
        ("<!DOCTYPE html>\n<title>x</title>", None, Format.HTML),
        ("  <html lang=en><body>x", None, Format.HTML),
        ("<!-- saved page -->\nText", None, Format.HTML),
        ("<div><p>One</p><p>Two <em>three</em></p></div>", None, Format.HTML),
        ("---\ntitle: X\n---\n# Heading\n\nText.\n", None, Format.MARKDOWN),
        ("# Title\n\nSome **bold** words and [a link](https://x.y).", None, Format.MARKDOWN),
        (_NEWS, None, Format.TEXT),  # one "- " line is not Markdown
        ("Officials said 3 < 4 in a memo, and left.\n\nNo more.\n", None, Format.TEXT),
        ("He used <b>bold</b> once.", None, Format.TEXT),  # two tags are not a page
        ("", None, Format.TEXT),
    ],
)
def test_detect(text: str, name: str | None, expected: Format) -> None:
    assert detect(text, name) is expected


# --- structure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "source", "repaired", "message"),
    [
        (
            Format.HTML,
            '<p>See <a href="https://a.example/1">the report</a>.</p>',
            '<p>See <a href="https://a.example/2">the report</a>.</p>',
            'the markup changed: <a href="https://a.example/1"> became '
            '<a href="https://a.example/2">',
        ),
        (
            Format.HTML,
            "<p>It was <em>not</em> true.</p>",
            "<p>It was not true.</p>",
            "the markup lost <em> </em>",
        ),
        (
            Format.HTML,
            "<ul><li>One.</li><li>Two.</li></ul>",
            "<ul><li>One.</li></ul>",
            "the markup lost <li> </li>",
        ),
        (
            Format.HTML,
            "<p>Text.</p><script>var a = 1;</script>",
            "<p>Text.</p><script>var a = 2;</script>",
            "the markup changed: text 'var a = 1;' became text 'var a = 2;'",
        ),
        (
            Format.MARKDOWN,
            "See [the report](https://a.example/1).\n",
            "See [the report](https://a.example/2).\n",
            'the markup changed: link_open href="https://a.example/1"',
        ),
        (
            Format.MARKDOWN,
            "It was **not** true.\n",
            "It was not true.\n",
            "the markup lost strong_open '**' strong_close '**'",
        ),
        (
            Format.MARKDOWN,
            "- One.\n- Two.\n",
            "- One.\n",
            "the markup lost list_item_open '-' paragraph_open 'paragraph_open'",
        ),
    ],
)
def test_structure_changes_are_issues(
    fmt: Format, source: str, repaired: str, message: str
) -> None:
    found = _structure(source, repaired, fmt)
    assert found and found[0].startswith(message), found
    assert not check(source, repaired, fmt).ok


@pytest.mark.parametrize(
    ("fmt", "source", "repaired"),
    [
        (
            Format.HTML,
            '<p>Teh <a href="/x">reprot</a> sayd<br>so.</p><ul><li>Won.</li></ul>',
            '<p>The <a href="/x">report</a> said<br>so.</p><ul><li>One.</li></ul>',
        ),
        (
            Format.MARKDOWN,
            "# Teh news\n\nTeh [reprot](/x) sayd **so**.\n\n- Won.\n",
            "# The news\n\nThe [report](/x) said **so**.\n\n- One.\n",
        ),
    ],
)
def test_changed_words_in_the_same_markup_are_no_structure_issue(
    fmt: Format, source: str, repaired: str
) -> None:
    assert _structure(source, repaired, fmt) == []


def test_structure_problems_lists_the_first_differences_only() -> None:
    source = html_skeleton("".join(f"<p>{i}</p><hr>" for i in range(10)))
    repaired = html_skeleton("".join(f"<p>{i}</p><br>" for i in range(10)))
    assert structure_problems(source, source) == []
    assert len(structure_problems(source, repaired)) == 5
    assert len(structure_problems(source, repaired, limit=2)) == 2


# --- known bugs: a repair in plain words that changes the markup ------------------------


def _repair_problems(source: str, view: str) -> tuple[str | None, list[str]]:
    """What the paragraph check says of `view` for the one paragraph of a Markdown
    `source`, and the structure issues of the document that renders it."""
    document = parse(source, Format.MARKDOWN)
    paragraph = document.paragraphs[0]
    assert paragraph.inline is not None
    repaired = document.join({paragraph.id: view})
    return paragraph.inline.problem(view), _structure(source, repaired, Format.MARKDOWN)


@pytest.mark.parametrize(
    ("source", "view"),
    [
        ("*see [the report](https://x.y) now*\n", "<t1>see <t2>the report</t2> today</t1>"),
        ("**[Breaking](https://x.y)** news today\n", "<t1><t2>Breaking</t2></t1> news tonight"),
        ("**Note: *important***\n", "<t1>NOTE: <t2>IMPORTANT</t2></t1>"),
        ("*see *this one**\n", "<t1>SEE <t2>THIS ONE</t2></t1>"),
    ],
)
def test_emphasis_survives_a_repair(source: str, view: str) -> None:
    problem, structure = _repair_problems(source, view)
    assert structure == []
    assert problem is None


@pytest.mark.parametrize(
    "source",
    [
        "Wow, [the report](https://x.y) here.\n",
        "Wow, [the report][r] here.\n\n[r]: https://x.y\n",
    ],
)
def test_an_exclamation_mark_before_a_link_stays_text(source: str) -> None:
    problem, structure = _repair_problems(source, "Wow!<t1>the report</t1> here.")
    assert structure == []
    assert problem is None


def test_a_shortcut_reference_link_is_a_label_the_model_keeps() -> None:
    source = "See [Reuters] today.\n\n[reuters]: https://reuters.com\n"
    (paragraph,) = parse(source, Format.MARKDOWN).paragraphs
    assert paragraph.text == "See <t1/> today."
    problem, structure = _repair_problems(source, "We see <t1/> today.")
    assert structure == []
    assert problem is None


@pytest.mark.parametrize(
    ("source", "view"),
    [
        ("Rates rose by a lot\nin the year.\n", "Rates rose by a lot --"),
        ("Rates rose by a lot\nin the year.\n", "Rates rose by a lot ---"),
        ("Rates rose by a lot\nin the year.\n", "Rates rose by a lot =="),
        ("Rates rose\nin\nthe year.\n", "Rates rose # year."),
        ("Rates rose\nin\nthe year.\n", "Rates rose - year."),
    ],
)
def test_a_rewrapped_line_start_never_makes_a_block(source: str, view: str) -> None:
    problem, structure = _repair_problems(source, view)
    assert structure == []
    assert problem is None


def test_a_pipe_in_a_setext_heading_does_not_make_a_table() -> None:
    problem, structure = _repair_problems("Ukraine war | live\n---\n", "Ukraine war | LIVE")
    assert structure == []
    assert problem is None


@pytest.mark.parametrize(
    ("source", "fmt", "expected"),
    [
        ("<p>one two\r\nthree four</p>\r\n", Format.HTML, "<p>ONE TWO\r\nTHREE FOUR</p>\r\n"),
        ("one two\r\nthree four\r\n", Format.MARKDOWN, "ONE TWO\r\nTHREE FOUR\r\n"),
        ("> one two\r\n> three four\r\n", Format.MARKDOWN, "> ONE TWO\r\n> THREE FOUR\r\n"),
    ],
)
def test_rewrap_keeps_crlf_line_breaks(source: str, fmt: Format, expected: str) -> None:
    assert _render(source, fmt, "ONE TWO THREE FOUR") == expected


@pytest.mark.parametrize(
    ("source", "fmt"),
    [
        ("<p>One <b>two <i>three</b> four</i>.</p>", Format.HTML),
        ("<p>One <b>two <i>three</b> four.</p>", Format.HTML),
        ("One <span>two <b>three</span> four.\n", Format.MARKDOWN),
    ],
)
def test_misnested_inline_markup(source: str, fmt: Format) -> None:
    (paragraph,) = parse(source, fmt).paragraphs
    assert paragraph.text.startswith("One <t1>two <t2/>three</t1> four")
    _assert_well_numbered(paragraph.text)


def test_markdown_render_keeps_entity_spellings() -> None:
    source = "Fish&nbsp;and chips &#8220;now&#8221;.\n"
    repaired = _render(source, Format.MARKDOWN, "Fish\xa0and chips “then”.")
    assert repaired == "Fish&nbsp;and chips &#8220;then&#8221;.\n"
