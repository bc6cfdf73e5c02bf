"""What the commands share: exit codes, the model options and the settings they make,
reading an article, and the progress line on stderr. (What they write: `output.py`.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from repair.batch import STATUSES, Progress
from repair.config import RepairConfig
from repair.errors import InputError
from repair.files import DETECT, DecodeError, decode, forced_encoding
from repair.formats import FORMAT_CHOICES
from repair.glossary import load_glossary_file
from repair.pricing import money

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2
EXIT_INTERNAL = 70  # a bug, not the user's doing (sysexits' EX_SOFTWARE)
DEFAULT_MAX_CHARS = 2_000_000


def model_options(command: argparse.ArgumentParser, *, files: bool = True) -> None:
    """The options of the model and the repair; `files`: also how to read an article file
    (--encoding, --format), which `repair serve` does not take (JSON says it)."""
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
        "--chunk-chars",
        type=int,
        help="article characters per request (default 3000; 4500 in batch)",
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
    verify_options(group)
    if files:
        encoding_option(group)
        format_option(group)
    group.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help="refuse larger articles (default 2,000,000)",
    )
    log_requests_option(group)


def verify_options(group: argparse._ActionsContainer, *, default: str | None = None) -> None:
    group.add_argument(
        "--verify",
        choices=["model", "rules"],
        default=default,
        help="model: after the fact ledger, the model checks each changed paragraph's meaning "
        "against its source (one more request per chunk); rules: the ledger only "
        f"(env REPAIR_VERIFY, default {default or 'model'})",
    )
    group.add_argument(
        "--verify-model",
        metavar="NAME",
        help="model for the meaning check, e.g. a cheaper one (default: --model)",
    )


def log_requests_option(group: argparse._ActionsContainer) -> None:
    group.add_argument(
        "--log-requests",
        metavar="FILE",
        help="append every request to the model and its answer to FILE, one JSON line each "
        "(the prompt as sent, article text included; never the key)",
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


def config_from(
    args: argparse.Namespace, defaults: Mapping[str, Any] | None = None
) -> RepairConfig:
    return RepairConfig.from_env(
        defaults=defaults,
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
        request_log=args.log_requests,
        verify=args.verify,
        verify_model=args.verify_model,
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
                # Wider than the terminal, a redrawn line wraps and every redraw adds one.
                width = shutil.get_terminal_size().columns - 1
                self.stream.write("\r\x1b[K" + _fit(line, width))
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


def _fit(line: str, width: int) -> str:
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


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
