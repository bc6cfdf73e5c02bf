"""`repair report` and `repair apply`: work on a result saved with `repair fix --json`.

A CMS can store the JSON and, later, render the editor's report from it or apply the
editor's choices (undo edits 3 and 7, keep the rest) without calling the model again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from repair.cli.common import EXIT_FLAGGED, EXIT_OK
from repair.cli.output import render_report, report_format
from repair.edits import edits_of
from repair.errors import InputError
from repair.files import write_atomically
from repair.results import RepairResult
from repair.review import apply_choices
from repair.suggest import accepted_ids

REPORT_EXAMPLES = """\
examples:
  repair fix article.txt --json > result.json
  repair report result.json -o report.html        # one self-contained page
  repair report result.json -o report.md          # Markdown, chosen by the extension
  repair report result.json --format md | less

  repair fix article.txt --report report.html     # the same page, straight from a repair,
                                                  # and its result in report.result.json
"""

APPLY_EXAMPLES = """\
examples:
  repair apply result.json --reject 3,7 -o article.fixed.txt   # undo edits 3 and 7
  repair apply result.json --reject 10-14                       # undo a range
  repair apply result.json                                      # every edit: the repair
  repair apply result.json --accept S1,S3                       # and two suggestions
  repair apply result.json --accept all-high --reject 4         # every high-confidence one

The edit numbers and suggestion ids are those of the report (repair report result.json).
Suggestions are never applied unless accepted here. The outcome is checked again against
the original article: undoing half of a change can break a fact; an accepted suggestion is
the editor's change (recorded as such), and anything else that differs is still flagged.

exit status: 0 the outcome passed the check, 1 the check found changed facts (printed on
stderr), 2 unreadable result, an edit number or suggestion id that does not exist, a
suggestion whose span no longer matches, or one that overlaps a rejected edit.
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `report` and `apply` to the `repair` command line."""
    report = commands.add_parser(
        "report",
        help="render the editor's report (HTML or Markdown) from a saved --json result",
        description="Render the editor's report of a result saved with 'repair fix --json'.",
        epilog=REPORT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("result", help="the saved RepairResult (JSON), or - for standard input")
    report.add_argument(
        "-o", "--output", help="write here; a .md name gives Markdown (default: stdout)"
    )
    report.add_argument("--format", choices=["html", "md"], help="default: from -o, else html")
    report.set_defaults(run=_run_report)

    apply = commands.add_parser(
        "apply",
        help="the article with some of the repair's edits undone",
        description="Apply a saved repair's edits except the rejected ones, and check the outcome.",
        epilog=APPLY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    apply.add_argument("result", help="the saved RepairResult (JSON), or - for standard input")
    apply.add_argument(
        "--reject", default="", metavar="N,N-M", help="edit numbers to undo, e.g. 3,7 or 10-14"
    )
    apply.add_argument(
        "--accept",
        default="",
        metavar="S1,S3|all-high",
        help="suggestions to apply, e.g. S1,S3; all-high for every high-confidence one; all",
    )
    apply.add_argument("-o", "--output", help="write the article here (default: stdout)")
    apply.set_defaults(run=_run_apply)


def load_result(name: str) -> RepairResult:
    """A saved RepairResult, or an InputError that says what is wrong with the file."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        return RepairResult.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "the file"
        raise InputError(
            f"{name}: not a result saved with 'repair fix --json' ({where}: {first['msg']})"
        ) from None


def parse_numbers(spec: str) -> set[int]:
    """Edit numbers from "3,7,10-12": {3, 7, 10, 11, 12}."""
    numbers: set[int] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise InputError(f"--reject: '{part}' is not an edit number or a range") from None
        if first < 1 or last < first:
            raise InputError(f"--reject: '{part}' is not an edit number or a range")
        numbers.update(range(first, last + 1))
    return numbers


def _run_report(args: argparse.Namespace) -> int:
    result = load_result(args.result)
    saved = None if args.result == "-" else args.result
    text = render_report(result, report_format(args.output, args.format), saved)
    if args.output:
        write_atomically(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _run_apply(args: argparse.Namespace) -> int:
    result = load_result(args.result)
    reject = parse_numbers(args.reject)
    outcome = apply_choices(result, accepted_ids(args.accept, result.suggestions), reject)
    text, report = outcome.text, outcome.report
    if args.output:
        write_atomically(Path(args.output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    total = len(edits_of(result))
    undone = _ranges(sorted(reject)) or "none"
    print(f"repair: kept {total - len(reject)} of {total} edits; undone: {undone}", file=sys.stderr)
    for s in outcome.accepted:
        print(
            f"repair: {s.id} accepted, changed by the editor: '{s.original}' -> "
            f"'{s.replacement}' ({s.paragraph})",
            file=sys.stderr,
        )
    if args.accept and not outcome.accepted:
        print("repair: no suggestion matched --accept; none applied", file=sys.stderr)
    for issue in report.issues:
        print(f"  {issue.kind}: {issue.message}", file=sys.stderr)
    if not report.ok:
        print(f"repair: the check found {len(report.issues)} problem(s)", file=sys.stderr)
        return EXIT_FLAGGED
    return EXIT_OK


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7": the inverse of `parse_numbers`, for a short message."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in spans)
