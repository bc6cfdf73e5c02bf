"""The HTML reader: any input joins back byte for byte (generated documents, malformed
markup, random text); a repair that keeps the placeholders keeps the markup; what the model
sees of a block; how changed words are escaped."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repair.formats import Format, parse
from repair.formats.text import BlockKind
from repair.validation.markup import html_skeleton
from tests.formats.helpers import (
    BOOL,
    PROPERTY,
    RANDOM,
    WORDS,
    C,
    H,
    P,
    assert_round_trip,
    ints,
    list_of,
    louder,
    one_of,
    render,
    structure_issues,
)

_HTML_ENTITIES = ["&amp;", "&nbsp;", "&#8220;", "&#8221;", "&rsquo;", "&lt;", "&gt;", "&#x2014;"]

_HTML_SPACE = st.sampled_from([" ", " ", " ", "\n", "\n  ", "  ", "\t", "\r\n"])

_URLS = st.sampled_from(["https://example.com/a?b=1&amp;c=2", "/news/1", "#fn1", "mailto:x@y.z"])

_TITLES = st.sampled_from(["", ' title="More"', " title='Single quoted'", " title=bare"])

_CLASSES = st.sampled_from(["", ' class="lead"', ' class="a b"', " id=x"])

_HTML_WORDS = st.lists(
    st.tuples(_HTML_SPACE, st.sampled_from(WORDS + _HTML_ENTITIES)), min_size=1, max_size=6
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
        count = draw(ints(1, 3))
        out = draw(html_words())
        for _ in range(count):
            choice = draw(ints(0, 6 if depth > 0 else 1))
            if choice == 0:
                piece = draw(html_words())
            elif choice == 1:
                piece = draw(_HTML_ATOMS)
            elif choice == 2:
                inner = draw(html_inline(depth - 1))
                piece = f'<a href="{draw(_URLS)}"{draw(_TITLES)}>{inner}</a>'
            else:
                tag = draw(one_of("em", "strong", "b", "i", "span"))
                attrs = draw(_CLASSES) if tag == "span" else ""
                piece = f"<{tag}{attrs}>{draw(html_inline(depth - 1))}</{tag}>"
            out += draw(one_of("", " ", "\n")) + piece
        end = draw(one_of("", ".", " "))
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
        count = draw(ints(1, 3))
        out = []
        for _ in range(count):
            choice = draw(ints(0, 10 if depth > 0 else 5))
            if choice in (0, 1):
                out.append(f"<p{draw(_CLASSES)}>{draw(html_inline())}</p>")
            elif choice == 2:
                level = draw(ints(1, 6))
                out.append(f"<h{level}>{draw(html_inline(1))}</h{level}>")
            elif choice == 3:
                tag = draw(one_of("ul", "ol"))
                items = draw(list_of(html_inline(1), 1, 3))
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
                rows = draw(list_of(list_of(html_inline(0), 1, 3), 1, 3))
                body = "".join(
                    "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>\n" for row in rows
                )
                head = draw(one_of("", "<thead><tr><th>Head</th></tr></thead>"))
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
    if draw(BOOL):
        return body + draw(one_of("", "\n"))
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

_BROKEN_PIECES = list_of(_HTML_BROKEN | html_blocks(1) | html_inline(1) | html_words(), 0, 6)


@st.composite
def broken_html(draw: st.DrawFn) -> str:
    pieces = draw(_BROKEN_PIECES)
    return "".join(draw(one_of("", " ", "\n")) + p for p in pieces)


_HTML_ALPHABET = st.sampled_from([*"<>/&;#!-=\"' \n\tapbdivemscrt1", "\r", "\x00", "é"])


@given(html_documents())
@PROPERTY
def test_generated_html_round_trips(source: str) -> None:
    document = assert_round_trip(source, Format.HTML)
    seen = " ".join(p.text for p in document.paragraphs)
    for hidden in ("not a paragraph", "Hidden", "keep", "color", "return 1", "Enable", "Later"):
        assert hidden not in seen


@given(broken_html())
@PROPERTY
def test_malformed_html_round_trips(source: str) -> None:
    assert_round_trip(source, Format.HTML)


@given(st.text(max_size=300) | st.text(_HTML_ALPHABET, max_size=200))
@RANDOM
def test_random_text_round_trips_as_html(source: str) -> None:
    assert_round_trip(source, Format.HTML)


@given(html_documents())
@PROPERTY
def test_html_repair_that_keeps_placeholders_keeps_the_markup(source: str) -> None:
    document = parse(source, Format.HTML)
    repaired = document.join({p.id: louder(p.text) for p in document.paragraphs})
    assert html_skeleton(repaired) == html_skeleton(source)
    assert structure_issues(source, repaired, Format.HTML) == []


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
    document = assert_round_trip(source, Format.HTML)
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
    document = assert_round_trip(source, Format.HTML)
    assert document.paragraphs
    assert not [p.text for p in document.paragraphs if "SECRET" in p.text]


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
    repaired = render(source, Format.HTML, view)
    assert repaired == expected
    assert html_skeleton(repaired) == html_skeleton(source)
