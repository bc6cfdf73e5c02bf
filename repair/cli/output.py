"""What the commands write: the article, the JSON result, the editor's report, and the
summary lines on stderr; and the check, before any model is paid, that they can be written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from repair.errors import ConfigurationError
from repair.files import temp_name, write_atomically
from repair.report import render_html, render_markdown
from repair.report.view import checked
from repair.results import ParagraphResult, RepairResult


def check_writable(paths: Iterable[tuple[str, str | None]]) -> None:
    """Each (option, path) given can be written, or a ConfigurationError saying why.

    Run before the first model call: finding a typo in -o after the model was paid loses
    the repair. A file is created and removed beside the target, which is the only test
    that also catches a read-only file system or a folder that refuses new files.
    """
    for option, name in paths:
        if not name or name == "-":
            continue
        path = Path(name)
        if path.is_dir():
            raise ConfigurationError(
                f"{option} {name}: is a folder; give a file name", setting=option
            )
        # Missing folders are made when the file is written: probe the nearest that exists.
        folder = next(p for p in path.absolute().parents if p.exists())
        if not folder.is_dir():
            raise ConfigurationError(
                f"{option} {name}: {folder} is a file, not a folder", setting=option
            )
        probe = temp_name(folder / path.name)
        try:
            probe.open("x", encoding="utf-8").close()
            probe.unlink()
        except OSError as exc:
            raise ConfigurationError(
                f"{option} {name}: cannot write in {folder}: {exc.strerror or exc}", setting=option
            ) from None
        if path.exists() and not os.access(path, os.W_OK):
            raise ConfigurationError(f"{option} {name}: the file is read-only", setting=option)


def check_distinct(inputs: Iterable[str | None], outputs: Iterable[tuple[str, str | None]]) -> None:
    """No output lands on an input or on another output (the result saved beside a
    report could otherwise overwrite the article, or the -o file, of the same run)."""
    seen: dict[Path, str] = {
        Path(name).resolve(): "the input" for name in inputs if name and name != "-"
    }
    for option, name in outputs:
        if not name or name == "-":
            continue
        path = Path(name).resolve()
        if path in seen:
            raise ConfigurationError(
                f"{option} {name}: the same file as {seen[path]}; choose another name",
                setting=option,
            )
        seen[path] = option


def result_beside(report: str | None) -> str | None:
    """Where `--report FILE` saves the result: FILE's stem + .result.json, beside it, so
    `repair apply` can act on the report without a second run."""
    if not report:
        return None
    path = Path(report)
    return str(path.with_name(f"{path.stem}.result.json"))


def emit(result: RepairResult, args: argparse.Namespace) -> None:
    """-o gets the article, --json the result on stdout; together or alone. Without
    either, the article goes to stdout. --report writes the report and, beside it, the
    result its `repair apply` commands name."""
    output = getattr(args, "output", None)
    if output:
        write_atomically(Path(output), result.text)
    if args.json:
        print(result.model_dump_json(indent=2))
    elif not output:
        _write_text(sys.stdout, result.text)
    report = getattr(args, "report", None)
    saved = result_beside(report)
    if report and saved:
        write_atomically(Path(saved), result.model_dump_json(indent=2) + "\n")
        write_report(result, Path(report), saved)
    print(summary(result), file=sys.stderr)
    print(f"repair: checked: {checked(result)}", file=sys.stderr)
    if report:
        print(
            f"repair: report in {report}; its result in {saved} (for repair apply)", file=sys.stderr
        )
    for line in flagged_lines(result.flagged):
        print(line, file=sys.stderr)
    if result.report is not None:
        for issue in result.report.issues:
            print(
                f"  finding {issue.paragraph or '-'} [{issue.kind}]: {issue.message}",
                file=sys.stderr,
            )


def flagged_lines(flagged: list[ParagraphResult]) -> list[str]:
    """One line per distinct reason, naming every paragraph it kept: a reason shared by
    57 paragraphs is one line, not 57."""
    groups: dict[tuple[str | None, str | None], list[str]] = {}
    for paragraph in flagged:
        groups.setdefault((paragraph.reason_code, paragraph.reason), []).append(paragraph.id)
    lines = []
    for (code, reason), ids in groups.items():
        shown = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
        lines.append(f"  flagged {shown}{f' ({code})' if code else ''}: {reason}")
    return lines


def _write_text(stream: TextIO, text: str) -> None:
    stream.write(text)
    # Byte-exact into a pipe or file; on a terminal, leave the prompt on a line of its own.
    if stream.isatty() and not text.endswith("\n"):
        stream.write("\n")
    stream.flush()


def summary(result: RepairResult) -> str:
    counts = {
        s: sum(p.status == s for p in result.paragraphs)
        for s in ("repaired", "unchanged", "kept-original")
    }
    usage = result.usage
    return (
        f"repair: {counts['repaired']} repaired, {counts['unchanged']} unchanged, "
        f"{counts['kept-original']} kept original (flagged) · {result.chunks} chunk(s), "
        f"{usage.calls} call(s), {usage.prompt_tokens:,}+{usage.completion_tokens:,} tokens "
        f"· {result.timings.total_s:.2f}s"
    )


def write_report(result: RepairResult, path: Path, result_file: str | None = None) -> None:
    """The report of `result` into `path`: Markdown for .md/.markdown, HTML otherwise."""
    write_atomically(path, render_report(result, report_format(str(path), None), result_file))


def render_report(result: RepairResult, fmt: str, result_file: str | None = None) -> str:
    """`result_file`: where the result is saved, for the commands the report shows."""
    if fmt == "md":
        return render_markdown(result, result_file)
    return render_html(result, result_file)


def report_format(output: str | None, chosen: str | None) -> str:
    if chosen:
        return chosen
    return "md" if output and output.lower().endswith((".md", ".markdown")) else "html"
