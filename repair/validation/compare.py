"""Compare the fact ledgers of a source and its repair: did any fact change?

A repair of machine-translated text rewrites a lot (word order, idioms, the spelling of
names), so the comparison is tolerant of form and strict about content:

- numbers, dates and names are compared per paragraph as multisets of values, a change
  of form ("ten" -> "10", "Witcooff" -> "Witkoff") being no change (`mentions`);
- sentences are aligned inside a paragraph (one source sentence may become two, or two
  one), so that a negation, a dropped sentence or an added one can be placed (`align`,
  `coverage`);
- quotes must survive recognisably, with their negations, numbers and speaker, and none
  may appear from nowhere (`quotes`).

This module is the comparison's public face (the issue and report models it returns
live in `repair.results`): `validate_paragraph`, which the pipeline calls on each
paragraph the model returns, and `validate`, which aligns the paragraphs of two articles
first (`paragraphs`).

Known limits, for want of a model: a quote reworded *inside a paragraph that was itself
rewritten*, or in a paragraph that is all quotation, is accepted if its negations,
numbers, names and speaker survive ("tough guy" made "weak guy" in a garbled paragraph
passes); the same change in a paragraph otherwise left as it was is caught. A name that
opens a sentence is told from an ordinary word by evidence in the two texts or, failing
that, by word frequencies (`facts.lexicon`): a surname that is also a common word
("Cook", "Price") opening a sentence is taken for the word.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from repair.aio import run_sync
from repair.errors import FactError
from repair.results import TextSpan, ValidationIssue, ValidationReport
from repair.validation.coverage import check_coverage
from repair.validation.findings import Finding, Pair, read_pair, short
from repair.validation.meaning import Verifier
from repair.validation.mentions import check_dates, check_names, check_numbers
from repair.validation.negations import check_negations
from repair.validation.paragraphs import align_paragraphs, joined, paragraphs
from repair.validation.quotes import check_quotes

__all__ = ["avalidate", "validate", "validate_paragraph"]


# The checks, in the order their issues are reported.
_CHECKS: tuple[Callable[[Pair], list[Finding]], ...] = (
    check_numbers,
    check_dates,
    check_names,
    check_quotes,
    check_negations,
    check_coverage,
)


# --- one paragraph --------------------------------------------------------------------------


def validate_paragraph(
    source: str,
    repaired: str,
    *,
    glossary: Mapping[str, str] | None = None,
    paragraph_id: str | None = None,
) -> list[ValidationIssue]:
    """Every fact of one source paragraph that its repair changed, dropped or invented.

    Offsets in the issues are offsets into `source` and `repaired`. Raises `FactError`
    when the texts cannot be compared (not strings, or a bug met on unusual input).
    """
    if not isinstance(source, str) or not isinstance(repaired, str):
        raise FactError("validate_paragraph needs two strings", paragraph=paragraph_id)
    try:
        return _validate_paragraph(source, repaired, glossary, paragraph_id)
    except FactError:
        raise
    except Exception as exc:
        # The pipeline keeps the original paragraph on a FactError; anything else would
        # take the whole article down with it.
        raise FactError(f"could not compare paragraph: {exc!r}", paragraph=paragraph_id) from exc


def _validate_paragraph(
    source: str, repaired: str, glossary: Mapping[str, str] | None, paragraph_id: str | None
) -> list[ValidationIssue]:
    pair = read_pair(source, repaired, glossary)
    return [
        ValidationIssue(
            kind=f.kind,
            paragraph=paragraph_id,
            source=_span(source, f.source),
            repaired=_span(repaired, f.repaired),
            message=f.message,
        )
        for check in _CHECKS
        for f in check(pair)
    ]


def _span(text: str, where: tuple[int, int] | None) -> TextSpan | None:
    if where is None:
        return None
    return TextSpan(text=text[where[0] : where[1]], start=where[0], end=where[1])


# --- whole articles -------------------------------------------------------------------------


def validate(
    source: str,
    repaired: str,
    *,
    glossary: Mapping[str, str] | None = None,
    verifier: Verifier | None = None,
    clean: Collection[tuple[str, str]] = (),
) -> ValidationReport:
    """Compare an article with its repair, paragraph by paragraph.

    With a `verifier`, the paragraphs that changed and passed the ledger are then checked
    for meaning by it (one request); its findings are added, never subtracted.

    `clean` holds (source, repair) paragraph texts that `validate_paragraph` already
    found to change no fact, with this glossary or part of it (a glossary only ever
    excuses a name): a paragraph pair found there is not compared again. Whatever else
    the article holds (paragraphs split, merged, dropped or added, or any other pair) is.
    """
    if verifier is not None:
        return run_sync(
            avalidate(source, repaired, glossary=glossary, verifier=verifier, clean=clean)
        )
    report, _ = _compare(source, repaired, glossary, clean)
    return report


async def avalidate(
    source: str,
    repaired: str,
    *,
    glossary: Mapping[str, str] | None = None,
    verifier: Verifier | None = None,
    clean: Collection[tuple[str, str]] = (),
) -> ValidationReport:
    """`validate` for async callers (a CMS handler): the verifier's request is awaited."""
    report, changed = _compare(source, repaired, glossary, clean)
    if verifier is None or not changed:
        return report
    found = await verifier.averify([(pid, s, r) for pid, s, r, _, _ in changed])
    where = {pid: (s, r, s_map, r_map) for pid, s, r, s_map, r_map in changed}
    added = []
    for issue in found:
        if issue.paragraph not in where:
            continue  # about a paragraph it was not asked about: nothing to place it in
        s_text, r_text, s_map, r_map = where[issue.paragraph]
        added.append(
            issue.model_copy(
                update={
                    "source": _moved(_located(issue.source, s_text), s_map),
                    "repaired": _moved(_located(issue.repaired, r_text), r_map),
                }
            )
        )
    issues = report.issues + added
    return ValidationReport(ok=not issues, issues=issues)


# (paragraph id, source text, repaired text, and their offset maps) of a changed paragraph
_Changed = tuple[str, str, str, list[tuple[int, int]], list[tuple[int, int]]]


def _located(span: TextSpan | None, text: str) -> TextSpan | None:
    """The span found again in `text` (the verifier quoted a one-line form of it)."""
    if span is None:
        return None
    start = text.find(span.text)
    return _span(text, (start, start + len(span.text))) if start >= 0 else None


def _compare(
    source: str,
    repaired: str,
    glossary: Mapping[str, str] | None,
    clean: Collection[tuple[str, str]] = (),
) -> tuple[ValidationReport, list[_Changed]]:
    """The ledger's report, and the changed paragraphs it found nothing wrong with (those
    in `clean` among them, without being compared again)."""
    if not isinstance(source, str) or not isinstance(repaired, str):
        raise FactError("validate needs two strings")
    src, rep = paragraphs(source), paragraphs(repaired)
    issues: list[ValidationIssue] = []
    changed: list[_Changed] = []
    groups = align_paragraphs(src, rep)
    if len(src) != len(rep) or any(len(s) != 1 or len(r) != 1 for s, r in groups):
        message = (
            f"the repair has {len(rep)} paragraphs where the source has {len(src)}"
            if len(src) != len(rep)
            else "the paragraphs of the repair do not pair one to one with the source's"
        )
        issues.append(
            ValidationIssue(
                kind="structure", paragraph=None, source=None, repaired=None, message=message
            )
        )
    for s_ids, r_ids in groups:
        ss, rr = [src[i] for i in s_ids], [rep[k] for k in r_ids]
        if not rr:
            p = ss[0]
            message = f"paragraph {p.id} '{short(p.text)}' is missing from the repair"
            where = TextSpan(text=p.text, start=p.start, end=p.start + len(p.text))
            issues.append(
                ValidationIssue(
                    kind="omission", paragraph=p.id, source=where, repaired=None, message=message
                )
            )
            continue
        if not ss:
            p = rr[0]
            message = f"paragraph '{short(p.text)}' of the repair has no source"
            where = TextSpan(text=p.text, start=p.start, end=p.start + len(p.text))
            issues.append(
                ValidationIssue(
                    kind="addition", paragraph=None, source=None, repaired=where, message=message
                )
            )
            continue
        pid = "+".join(p.id for p in ss)
        if len(ss) > 1 or len(rr) > 1:
            what = "merged into one" if len(ss) > 1 else f"split into {len(rr)}"
            message = (
                f"paragraphs {' and '.join(p.id for p in ss)} were {what}"
                if len(ss) > 1
                else f"paragraph {pid} was {what}"
            )
            issues.append(
                ValidationIssue(
                    kind="structure", paragraph=pid, source=None, repaired=None, message=message
                )
            )
        s_text, s_map = joined(ss)
        r_text, r_map = joined(rr)
        if s_text == r_text:
            continue  # a paragraph left as it was changes no fact
        if (s_text, r_text) in clean:
            # Compared already (the pipeline checked each unit it accepted): no fact
            # changed, though a meaning check may still want it.
            changed.append((pid, s_text, r_text, s_map, r_map))
            continue
        found = validate_paragraph(s_text, r_text, glossary=glossary, paragraph_id=pid)
        if not found:
            changed.append((pid, s_text, r_text, s_map, r_map))
        for issue in found:
            issues.append(
                issue.model_copy(
                    update={
                        "source": _moved(issue.source, s_map),
                        "repaired": _moved(issue.repaired, r_map),
                    }
                )
            )
    return ValidationReport(ok=not issues, issues=issues), changed


def _moved(span: TextSpan | None, pieces: list[tuple[int, int]]) -> TextSpan | None:
    if span is None:
        return None
    local, article = next((x for x in reversed(pieces) if x[0] <= span.start), pieces[0])
    shift = article - local
    return TextSpan(text=span.text, start=span.start + shift, end=span.end + shift)
