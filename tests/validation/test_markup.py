"""The markup check: a changed tag, attribute, link or code block is a `structure` issue;
changed words in the same markup are none."""

from __future__ import annotations

import pytest

from repair.formats import Format
from repair.validation import check
from repair.validation.markup import html_skeleton, structure_problems
from tests.formats.helpers import structure_issues


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
    found = structure_issues(source, repaired, fmt)
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
    assert structure_issues(source, repaired, fmt) == []


def test_structure_problems_lists_the_first_differences_only() -> None:
    source = html_skeleton("".join(f"<p>{i}</p><hr>" for i in range(10)))
    repaired = html_skeleton("".join(f"<p>{i}</p><br>" for i in range(10)))
    assert structure_problems(source, source) == []
    assert len(structure_problems(source, repaired)) == 5
    assert len(structure_problems(source, repaired, limit=2)) == 2
