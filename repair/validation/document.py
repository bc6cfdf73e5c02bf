"""The validator for an article in any format: the facts of its words, and its markup."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from repair.formats import Format, parse, words
from repair.results import ValidationIssue, ValidationReport
from repair.validation.compare import validate
from repair.validation.markup import html_skeleton, markdown_skeleton, structure_problems
from repair.validation.meaning import Verifier


def check(
    source: str,
    repaired: str,
    fmt: Format = Format.TEXT,
    *,
    glossary: Mapping[str, str] | None = None,
    verifier: Verifier | None = None,
    clean: Collection[tuple[str, str]] = (),
) -> ValidationReport:
    """The facts of the words compared, and for HTML and Markdown the markup around them;
    with a `verifier`, the meaning of each changed paragraph too (see `validate`).

    `clean`: paragraph pairs (their words, markup left out) already found to change no
    fact, not compared again (see `validate`).
    """
    if fmt is Format.TEXT:
        return validate(source, repaired, glossary=glossary, verifier=verifier, clean=clean)
    facts = validate(
        words(parse(source, fmt)),
        words(parse(repaired, fmt)),
        glossary=glossary,
        verifier=verifier,
        clean=clean,
    )
    skeleton = html_skeleton if fmt is Format.HTML else markdown_skeleton
    markup = [
        ValidationIssue(kind="structure", paragraph=None, source=None, repaired=None, message=m)
        for m in structure_problems(skeleton(source), skeleton(repaired))
    ]
    issues = markup + facts.issues
    return ValidationReport(ok=not issues, issues=issues)
