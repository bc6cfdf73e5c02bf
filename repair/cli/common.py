"""What the commands share: exit codes, the model options and the settings they make,
reading an article, writing results, and the summary and progress lines on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TextIO

from repair.batch import STATUSES, Progress
from repair.config import RepairConfig
from repair.errors import InputError
from repair.files import DETECT, DecodeError, decode, forced_encoding, write_atomically
from repair.formats import FORMAT_CHOICES
from repair.glossary import load_glossary_file
from repair.pricing import money
from repair.report import render_html, render_markdown
from repair.results import RepairResult

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2
DEFAULT_MAX_CHARS = 2_000_000


def model_options(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("model")
    group.add_argument("--model", help="model name (env REPAIR_MODEL, default gpt-4o-mini)")
    group.add_argument(
        "--base-url", help="endpoint, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL)"
    )
    group.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="VAR",
        help="environment variable holding the API key (default OPENAI_API_KEY)",
    )
    group.add_argument("--fallback-model", help="model to try once when the main one refuses")
    group.add_argument(
        "--style", choices=["minimal", "fluent"], help="minimal edits (default) or a freer rewrite"
    )
    group.add_argument("--concurrency", type=int, help="requests in flight at once (default 8)")
    group.add_argument(
        "--chunk-chars", type=int, help="article characters per request (default 3000)"
    )
    group.add_argument("--timeout", type=float, help="seconds to wait for one answer (default 120)")
    group.add_argument(
        "--max-attempts", type=int, help="transport attempts per request (default 5)"
    )
    group.add_argument(
        "--glossary",
        metavar="FILE",
        help='pinned name spellings, JSON or YAML: {"Witkoff": ["Witcooff", "Vitcoof"]}',
    )
    group.add_argument(
        "--no-glossary",
        action="store_true",
        help="skip the per-article call that picks one spelling per name",
    )
    encoding_option(group)
    format_option(group)
    group.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help="refuse larger articles (default 2,000,000)",
    )


def format_option(group: argparse._ActionsContainer) -> None:
    group.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        default="auto",
        help="text, markdown or html (default auto: from the file's suffix, else its content)",
    )


def encoding_option(group: argparse._ActionsContainer, *, of: str = "the input") -> None:
    group.add_argument(
        "--encoding",
        type=_encoding_name,
        default=None,
        metavar="NAME",
        help=f"encoding of {of}; default {DETECT}: UTF-8, UTF-16 with a byte-order mark, "
        "else Windows-1252 or Windows-1251, whichever reads better (which one is noted), "
        "mojibake undone; a name such as cp1251 or latin-1 forces it (a byte-order mark "
        "still wins)",
    )


def _encoding_name(name: str) -> str | None:
    """--encoding as argparse checks it: an unknown name is a usage error (exit 2)."""
    try:
        return forced_encoding(name)
    except DecodeError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def config_from(args: argparse.Namespace) -> RepairConfig:
    return RepairConfig.from_env(
        model=args.model,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        fallback_model=args.fallback_model,
        style=args.style,
        concurrency=args.concurrency,
        chunk_chars=args.chunk_chars,
        timeout=args.timeout,
        max_attempts=args.max_attempts,
        glossary=load_glossary_file(args.glossary) if args.glossary else None,
        glossary_pass=False if args.no_glossary else None,
    )


def read_article(name: str, encoding: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The article's text, or an InputError that says what is wrong with the file.

    Decoded as `repair batch` decodes (`repair.files.decode`); `encoding` None detects.
    How it was read, when that was not plain UTF-8, goes to stderr as a note: the batch
    writes the same notes into its manifest.
    """
    data = _read_bytes(name)
    try:
        text, _, notes = decode(data, encoding)
    except DecodeError as exc:
        raise InputError(f"{name}: {exc.message}{_encoding_hint(exc, encoding)}") from None
    for note in notes:
        print(f"repair: {name}: {note}", file=sys.stderr)
    if not text.strip():
        raise InputError(f"{name}: the article is empty")
    if len(text) > max_chars:
        raise InputError(
            f"{name}: {len(text):,} characters is over the limit of {max_chars:,} (--max-chars)"
        )
    return text


def _read_bytes(name: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory (use 'repair batch' for folders)") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None


def _encoding_hint(error: DecodeError, encoding: str | None) -> str:
    """What to do about bytes that are not text in the encoding tried."""
    if error.reason != "undecodable":
        return ""
    if forced_encoding(encoding) is None:
        return "; pass --encoding NAME if you know it, e.g. koi8-r or iso-8859-2"
    return f"; is --encoding {encoding} right? Leave it out to detect the encoding"


def emit(result: RepairResult, args: argparse.Namespace) -> None:
    if args.json:
        print(result.model_dump_json(indent=2))
    elif getattr(args, "output", None):
        write_atomically(Path(args.output), result.text)
    else:
        _write_text(sys.stdout, result.text)
    if getattr(args, "report", None):
        write_report(result, Path(args.report))
    print(summary(result), file=sys.stderr)
    for paragraph in result.flagged:
        print(f"  flagged {paragraph.id}: {paragraph.reason}", file=sys.stderr)
    if result.report is not None:
        for issue in result.report.issues:
            print(
                f"  finding {issue.paragraph or '-'} [{issue.kind}]: {issue.message}",
                file=sys.stderr,
            )


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


def write_report(result: RepairResult, path: Path) -> None:
    """The report of `result` into `path`: Markdown for .md/.markdown, HTML otherwise."""
    write_atomically(path, render_report(result, report_format(str(path), None)))


def render_report(result: RepairResult, fmt: str) -> str:
    return render_markdown(result) if fmt == "md" else render_html(result)


def report_format(output: str | None, chosen: str | None) -> str:
    if chosen:
        return chosen
    return "md" if output and output.lower().endswith((".md", ".markdown")) else "html"


# --- progress -------------------------------------------------------------------------


def progress_mode(choice: str, stream: TextIO, env: Mapping[str, str]) -> str:
    """A live line only on a terminal outside CI; plain log lines in pipes and CI."""
    if choice != "auto":
        return choice
    return "bar" if stream.isatty() and not env.get("CI") else "log"


def chunk_printer() -> ProgressPrinter:
    """For `fix` and `demo`: a live chunk count on a terminal, and nothing elsewhere.

    One article is over in seconds or minutes: log lines would only clutter the stderr a
    script keeps, so "log" becomes "none" here (unlike `repair batch`, which runs for hours).
    """
    mode = progress_mode("auto", sys.stderr, os.environ)
    return ProgressPrinter(sys.stderr, "bar" if mode == "bar" else "none")


class ProgressPrinter:
    """Progress on a stream, for one article's chunks or a batch's articles.

    `mode` "bar" redraws one line (at most ten times a second), "log" prints a line every
    `every_s` seconds or 5% (a redrawn line is noise in a CI log or a file), "none" draws
    nothing. `chunks` is a `repair.pipeline.ChunkProgress`, `articles` a
    `repair.batch.BatchProgress`. Close it (or use it in a `with`) to end a live line.
    """

    def __init__(self, stream: TextIO, mode: str, *, every_s: float = 5.0) -> None:
        self.stream, self.mode, self.every_s = stream, mode, every_s
        self._last = 0.0
        self._last_share = -1.0
        self._drawn = False

    def chunks(self, done: int, total: int) -> None:
        self.show(done, total, f"repairing: {done}/{total} chunks")

    def articles(self, progress: Progress) -> None:
        self.show(progress.done, progress.total, progress_line(progress))

    def show(self, done: int, total: int, line: str) -> None:
        now = time.monotonic()
        if self.mode == "bar":
            if now - self._last >= 0.1 or done == total:
                self._last = now
                self.stream.write("\r\x1b[K" + line)
                self.stream.flush()
                self._drawn = True
        elif self.mode == "log":
            share = done / total if total else 1.0
            if now - self._last >= self.every_s or share >= self._last_share + 0.05:
                self._last, self._last_share = now, share
                print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressPrinter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def progress_line(p: Progress) -> str:
    share = p.done / p.total if p.total else 1.0
    counts = " · ".join(f"{p.statuses.get(s, 0):,} {s}" for s in STATUSES)
    eta = p.eta_s
    cost = "cost ?" if p.cost_usd is None else money(p.cost_usd)
    before = f" ({p.reused:,} done before)" if p.reused else ""
    return (
        f"repair batch: {p.done:,}/{p.total:,} ({share:.0%}){before} · {counts} · "
        f"{p.in_flight} in progress · {p.rate * 60:,.1f}/min · "
        f"ETA {'?' if eta is None else duration(eta)} · {count(p.tokens)} tokens · {cost}"
    )


def count(n: int) -> str:
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
