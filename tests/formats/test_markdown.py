"""The Markdown reader: any input joins back byte for byte; a repair that keeps the
placeholders keeps the markup; what the model sees of a block; how changed words are
escaped; the repairs in plain words that once changed the markup."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repair.formats import Format, parse
from repair.formats.markdown import same_markup
from repair.formats.text import BlockKind
from repair.validation.markup import markdown_skeleton
from tests.formats.helpers import (
    BOOL,
    LOUD,
    PROPERTY,
    RANDOM,
    WORDS,
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

_MD_WORDS = [*WORDS, "&amp;", "\\*", "3 \\* 4", "AT&amp;T", "snake\\_case", "a-b", "50/50"]

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
        for _ in range(draw(ints(1, 4))):
            choice = draw(ints(0, 9 if depth > 0 else 1))
            if not links and choice in (2, 3, 4):
                choice = 0
            if choice == 0:
                piece = draw(md_words())
            elif choice == 1:
                piece = draw(_MD_ATOMS)
            elif choice == 2:
                inner = draw(md_inline(0, breaks=False))
                title = draw(one_of("", ' "A title"'))
                piece = f"[{inner}]({draw(_MD_URLS)}{title})"
            elif choice == 3:
                piece = f"[{draw(md_words())}][{draw(one_of('r1', 'R2'))}]"
            elif choice == 4:
                piece = "[Reuters]"
            elif choice == 5:
                piece = f'<span class="x">{draw(md_words())}</span>'
            else:
                mark = draw(one_of("*", "_", "**", "__", "~~"))
                inner = draw(md_inline(depth - 1, breaks=False, links=_LINKS_IN_EMPHASIS))
                if not _SHARED_DELIMITER_RUNS and inner[-1] in "*_~":
                    inner += " " + draw(md_words())
                piece = f"{mark}{inner}{mark}"
            space = draw(_MD_SPACE if breaks else st.just(" "))
            if breaks and draw(ints(0, 5)) == 0:
                space = draw(one_of("  \n", "\\\n"))
            out += space + piece
        return out + draw(one_of("", ".", ","))

    return build()


@cache
@st.composite
def md_list(draw: st.DrawFn) -> str:
    ordered = draw(BOOL)
    items = draw(list_of(md_inline(1, breaks=False), 1, 3))
    lines = []
    for n, item in enumerate(items, 1):
        marker = f"{n}. " if ordered else draw(one_of("- ", "* ", "+ "))
        lines.append(marker + item)
        if draw(BOOL):
            indent = " " * len(marker)
            lines.append(f"{indent}- {draw(md_inline(1, breaks=False))}")
        if draw(ints(0, 3)) == 0:
            lines.append(" " * len(marker) + draw(md_words()))  # a continuation line
    return "\n".join(lines)


@cache
@st.composite
def md_quote(draw: st.DrawFn) -> str:
    lines = [f"> {draw(md_inline(1, breaks=False))}"]
    for _ in range(draw(ints(0, 2))):
        lazy = draw(BOOL)
        lines.append(("" if lazy else "> ") + draw(md_words()))
    return "\n".join(lines)


_CELL = md_inline(0, breaks=False) | st.just("a \\| b")


@cache
@st.composite
def md_table(draw: st.DrawFn) -> str:
    width = draw(ints(1, 3))
    cells = list_of(_CELL, width, width)
    head = draw(cells)
    rows = draw(list_of(cells, 1, 3))
    align = draw(one_of("---", ":---", ":---:", "---:"))
    lines = [head, [align] * width, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


@cache
@st.composite
def md_block(draw: st.DrawFn) -> str:
    choice = draw(ints(0, 12))
    if choice in (0, 1, 2):
        return draw(md_inline())
    if choice == 3:
        level = draw(ints(1, 6))
        closing = draw(one_of("", " " + "#" * level))
        return "#" * level + " " + draw(md_inline(1, breaks=False)) + closing
    if choice == 4:
        underline = draw(one_of("===", "---", "=========="))
        return draw(md_inline(1, breaks=False)) + "\n" + underline
    if choice == 5:
        return draw(md_list())
    if choice == 6:
        return draw(md_quote())
    if choice == 7:
        fence = draw(one_of("```", "~~~", "````"))
        info = draw(one_of("", "python", "js title=x"))
        return f"{fence}{info}\n# not a heading\n*not* [a](link)\n{fence}"
    if choice == 8:
        # The paragraph before it ends any list that would take the indented lines in.
        return "Code follows:\n\n    indented *code*\n    [not](a link)"
    if choice == 9:
        return draw(md_table())
    if choice == 10:
        return '<div class="note">\n<p>An HTML block</p>\n</div>'
    if choice == 11:
        return draw(one_of("***", "* * *", "___"))
    return f"> {draw(md_inline(0, breaks=False))}\n>\n> {draw(md_words())}"


@st.composite
def md_documents(draw: st.DrawFn) -> str:
    """A well-formed Markdown article with front matter and reference definitions."""
    blocks = draw(list_of(md_block(), 1, 6))
    if draw(BOOL):
        blocks.insert(0, '---\ntitle: "A & B"\ntags: [news, world]\n---')
    blocks.append(
        '[r1]: https://example.com/r1\n[R2]: /r2 "Second"\n[reuters]: https://reuters.com\n'
        "[^1]: The footnote text."
    )
    out = blocks[0]
    for block in blocks[1:]:
        out += draw(one_of("\n\n", "\n\n\n", "\n \n")) + block
    return out + draw(one_of("", "\n", "\n\n"))


_MD_ALPHABET = st.sampled_from([*"#*_`[]()!<>|\\-=+:~ \n\t1.abc^\"'&;", "\r", "é"])


@given(md_documents())
@PROPERTY
def test_generated_markdown_round_trips(source: str) -> None:
    document = assert_round_trip(source, Format.MARKDOWN)
    seen = " ".join(p.text for p in document.paragraphs)
    for hidden in ("title:", "not a heading", "indented", "HTML block"):
        assert hidden not in seen


@given(st.text(max_size=300) | st.text(_MD_ALPHABET, max_size=200))
@RANDOM
def test_random_text_round_trips_as_markdown(source: str) -> None:
    assert_round_trip(source, Format.MARKDOWN)


@given(md_documents())
@PROPERTY
def test_markdown_repair_that_keeps_placeholders_keeps_the_markup(source: str) -> None:
    """As the pipeline does: a block whose changed words would change the markup (the
    scanner is simpler than CommonMark) is refused by its check and keeps its words."""
    document = parse(source, Format.MARKDOWN)
    texts = {}
    for p in document.paragraphs:
        assert p.inline is not None
        if p.inline.problem(louder(p.text)) is None:
            texts[p.id] = louder(p.text)
    repaired = document.join(texts)
    assert structure_issues(source, repaired, Format.MARKDOWN) == []
    assert markdown_skeleton(repaired) == markdown_skeleton(source)


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
    document = assert_round_trip(source, Format.MARKDOWN)
    assert [(p.kind, p.text) for p in document.paragraphs] == expected


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
    document = assert_round_trip(source, Format.MARKDOWN)
    assert document.paragraphs
    assert not [p.text for p in document.paragraphs if "SECRET" in p.text]


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
        ("> one two three\n> four five six\n", LOUD, "> ONE TWO THREE\n> FOUR FIVE SIX\n"),
        ("- one two three\n  four five six\n", LOUD, "- ONE TWO THREE\n  FOUR FIVE SIX\n"),
        (
            "Read *this* now [and](https://x.y) &amp; then.\n",
            "Read <t1>THIS</t1> now <t2>AND</t2> & then.",
            "Read *THIS* now [AND](https://x.y) &amp; then.\n",
        ),
    ],
)
def test_markdown_render_escapes_changed_words(source: str, view: str, expected: str) -> None:
    repaired = render(source, Format.MARKDOWN, view)
    assert repaired == expected
    assert same_markup(source, repaired)
    paragraph = parse(source, Format.MARKDOWN).paragraphs[0]
    assert paragraph.inline is not None and paragraph.inline.problem(view) is None
    assert structure_issues(source, repaired, Format.MARKDOWN) == []


def _repair_problems(source: str, view: str) -> tuple[str | None, list[str]]:
    """What the paragraph check says of `view` for the one paragraph of a Markdown
    `source`, and the structure issues of the document that renders it."""
    document = parse(source, Format.MARKDOWN)
    paragraph = document.paragraphs[0]
    assert paragraph.inline is not None
    repaired = document.join({paragraph.id: view})
    return paragraph.inline.problem(view), structure_issues(source, repaired, Format.MARKDOWN)


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


def test_markdown_render_keeps_entity_spellings() -> None:
    source = "Fish&nbsp;and chips &#8220;now&#8221;.\n"
    repaired = render(source, Format.MARKDOWN, "Fish\xa0and chips “then”.")
    assert repaired == "Fish&nbsp;and chips &#8220;then&#8221;.\n"
