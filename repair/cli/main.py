"""The `repair` command: parse arguments, read files, call the library, print, exit.

Exit codes: 0 every paragraph repaired or unchanged (or the check passed); 1 something was
flagged (a paragraph kept its original text, or the check found changed facts); 2 usage,
input, output or configuration errors; 70 an internal error (a bug: one line, and the
traceback with -v). No traceback reaches the user otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import sys
import traceback
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import SecretStr, ValidationError

from repair import formats
from repair.cli import batch as batch_command
from repair.cli import report as report_command
from repair.cli import serve as serve_command
from repair.cli.common import (
    EXIT_FLAGGED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    chunk_printer,
    config_from,
    encoding_option,
    format_option,
    log_requests_option,
    model_options,
    read_article,
    verify_options,
)
from repair.cli.output import check_distinct, check_writable, emit, result_beside
from repair.config import RepairConfig
from repair.errors import ConfigurationError, InputError, ModelCallError, RepairError
from repair.glossary import load_glossary_file
from repair.pipeline import repair_article
from repair.report.view import CHECKED_FACTS, meaning_phrase
from repair.testing.fake import FakeServer
from repair.testing.golden import load_case, load_cases
from repair.validation import check
from repair.verify import ModelVerifier

FIX_EXAMPLES = """\
examples:
  # OpenAI (the key is read from OPENAI_API_KEY)
  repair fix article.txt -o article.fixed.txt

  # a local Ollama model; no key needed
  repair fix article.txt --base-url http://localhost:11434/v1 --model llama3.1

  # vLLM or llama.cpp server, key from another variable, result as JSON
  repair fix article.txt --base-url http://gpu-box:8000/v1 --model qwen2.5-14b \\
      --api-key-env VLLM_KEY --json > result.json

  # from a pipe, with a freer rewrite and a backup model for refusals
  cat article.txt | repair fix - --style fluent --fallback-model gpt-4o

  # the editor's spellings win over the model's choice
  repair fix article.txt --glossary names.json    # {"Witkoff": ["Witcooff", "Vitcoof"]}

  # HTML or Markdown: only the words change; tags, links, attributes, code stay as
  # they are (the format is told from the suffix or the content; --format to say it)
  repair fix story.html -o story.fixed.html
  curl -s https://cms.example/api/body/123 | repair fix - --format html

  # any encoding: UTF-8, UTF-16 with a byte-order mark, Windows-1252 or Windows-1251 is
  # detected (stderr says "decoded as cp1251"); --encoding says it when detection cannot
  repair fix old-site.txt -o old-site.fixed.txt
  repair fix old-site.txt --encoding koi8-r

  # what the model was asked and answered, one JSON line per request
  repair fix article.txt -o fixed.txt --log-requests requests.jsonl

exit status: 0 all paragraphs repaired or unchanged, 1 some kept their original text
(flagged, see --json), 2 bad usage, unreadable input, an output that cannot be written
(checked before the model is called), missing configuration or an endpoint that cannot be
reached, 70 an internal error (run with -v for the traceback).
"""

DEMO_EXAMPLES = """\
examples:
  repair demo                      # the seed article, repaired through a local fake server
  repair demo --list               # the golden cases the demo can run
  repair demo economy-inflation --json
  repair demo --fault-rate 0.3     # 30% of requests fail (429/503/dropped); retries recover

No model is called: a fake OpenAI-compatible server on 127.0.0.1 replays the hand-written
reference repairs. Everything else (chunking, prompts, HTTP, retries, checks) is real.
"""


CHECK_EXAMPLES = """\
examples:
  repair check original.txt repaired.txt          # exit 0: no change found
  repair check original.txt repaired.txt --json   # the findings as JSON
  repair check original.txt edited.txt --glossary names.json
  repair check story.html story.fixed.html        # HTML: the markup must be identical too
  repair check cp1251.txt repaired.txt            # each file's encoding is detected

It reports numbers, dates, names, quotes and negations that changed, sentences that
were dropped or added, and paragraphs merged, split or moved. For HTML and Markdown it
also reports any tag, attribute, link, image or code that changed ("structure").
exit status: 0 no findings, 1 findings, 2 unreadable input.
"""


def main(argv: list[str] | None = None) -> int:
    parser, commands = _parser()
    argv = sys.argv[1:] if argv is None else argv
    _suggest_command(parser, commands, argv)
    args, extras = parser.parse_known_args(argv)
    if extras:
        _unknown_options(commands.choices[args.command], extras)
    logging.basicConfig(
        level=logging.DEBUG
        if args.verbose > 1
        else logging.INFO
        if args.verbose
        else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        code: int = args.run(args)
        return code
    except (ConfigurationError, InputError, ModelCallError) as exc:
        print(f"repair: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"repair: error: invalid setting: {problems}", file=sys.stderr)
        return EXIT_USAGE
    except RepairError as exc:
        print(f"repair: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a disk that filled up, a file removed under us
        where = f" {exc.filename}" if exc.filename else ""
        print(f"repair: error: cannot read or write{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("repair: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        hint = "" if args.verbose else "; run with -v for the traceback"
        print(f"repair: internal error: {type(exc).__name__}: {exc}{hint}", file=sys.stderr)
        return EXIT_INTERNAL


def _version() -> str:
    try:
        return version("repair")
    except PackageNotFoundError:  # a checkout run without installing
        return "unknown"


def _suggest_command(
    parser: argparse.ArgumentParser, commands: argparse._SubParsersAction[Any], argv: list[str]
) -> None:
    """A mistyped command gets a suggestion, not only the list of commands."""
    word = next((a for a in argv if not a.startswith("-")), None)
    if word is None or word in commands.choices:
        return
    close = difflib.get_close_matches(word, list(commands.choices), n=1)
    if close:
        parser.error(f"unknown command {word!r}; did you mean {close[0]!r}?")


def _unknown_options(command: argparse.ArgumentParser, extras: list[str]) -> None:
    """The command's own usage line, and the nearest option it has, for each unknown one."""
    known = [o for action in command._actions for o in action.option_strings]
    hints = []
    for extra in extras:
        close = difflib.get_close_matches(extra.split("=")[0], known, n=1)
        hints.append(f"{extra} (did you mean {close[0]}?)" if close else extra)
    command.error("unrecognized arguments: " + " ".join(hints))


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[Any]]:
    parser = argparse.ArgumentParser(
        prog="repair",
        description="Restore fluent English to machine-translated articles, and check that "
        "no name, number, date, quote or negation changed.",
        epilog="Run 'repair COMMAND --help' for worked examples. Start with 'repair demo'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log retries (-vv: debug)"
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )

    fix = commands.add_parser(
        "fix",
        help="repair one article with a model",
        description="Repair one article through any OpenAI-compatible endpoint.",
        epilog=FIX_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fix.add_argument(
        "file", help="the article (plain text, Markdown or HTML), or - for standard input"
    )
    fix.add_argument("-o", "--output", help="write the repaired article here (default: stdout)")
    fix.add_argument("--json", action="store_true", help="print the full RepairResult as JSON")
    fix.add_argument("--report", metavar="FILE", help="write the editor's report (.html or .md)")
    model_options(fix)
    fix.set_defaults(run=_run_fix)

    demo = commands.add_parser(
        "demo",
        help="repair a bundled example through a built-in fake server (no model needed)",
        description="Run the real pipeline against a fake OpenAI-compatible server on 127.0.0.1.",
        epilog=DEMO_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "case", nargs="?", default="putin-trump", help="golden case (default: the seed)"
    )
    demo.add_argument("--list", action="store_true", help="list the cases and exit")
    demo.add_argument("--json", action="store_true", help="print the RepairResult as JSON")
    demo.add_argument("--report", metavar="FILE", help="write the editor's report (.html or .md)")
    demo.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that fail")
    log_requests_option(demo)
    demo.set_defaults(run=_run_demo)

    batch_command.register(commands)

    check = commands.add_parser(
        "check",
        help="check a repair against its source: did any fact change? (--verify model: meaning)",
        description="Compare an article with its repair, fact by fact. Deterministic, no model.",
        epilog=CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("source", help="the original article")
    check.add_argument("repaired", help="the repaired article")
    check.add_argument("--json", action="store_true", help="print the ValidationReport as JSON")
    check.add_argument("--glossary", metavar="FILE", help="spelling changes that are allowed")
    meaning = check.add_argument_group(
        "meaning (optional: a model compares each changed paragraph with its source)"
    )
    verify_options(meaning, default="rules")
    meaning.add_argument("--model", help="model name (env REPAIR_MODEL, default gpt-4o-mini)")
    meaning.add_argument(
        "--base-url", help="endpoint, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL)"
    )
    meaning.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="VAR",
        help="environment variable holding the API key (default OPENAI_API_KEY)",
    )
    encoding_option(check, of="both files")
    format_option(check)
    check.set_defaults(run=_run_check)
    report_command.register(commands)
    serve_command.register(commands)
    for command in commands.choices.values():
        # -v after the command too ("repair fix a.txt -v"); SUPPRESS keeps one given before.
        command.add_argument(
            "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="as repair -v"
        )
    return parser, commands


def _run_fix(args: argparse.Namespace) -> int:
    text = read_article(args.file, args.encoding, args.max_chars)
    fmt = formats.resolve(args.format, text, None if args.file == "-" else args.file)
    config = config_from(args)
    config.endpoint()  # fail before any work when nothing is configured
    check_distinct([args.file], _outputs(args))
    check_writable(_outputs(args))  # and before the model is paid, if a result has nowhere to go
    with chunk_printer() as printer:
        result = repair_article(text, config, on_progress=printer.chunks, fmt=fmt)
    source = "standard input" if args.file == "-" else args.file
    emit(result.model_copy(update={"source_file": source, "finished_at": _now()}), args)
    return EXIT_OK if result.ok else EXIT_FLAGGED


def _run_demo(args: argparse.Namespace) -> int:
    cases = [c.name for c in load_cases()]
    if args.list:
        print("\n".join(cases))
        return EXIT_OK
    if args.case not in cases:
        raise InputError(f"no demo case '{args.case}'; choose one of: {', '.join(cases)}")
    case = load_case(args.case)
    args.output = None
    check_distinct([], _outputs(args))
    check_writable(_outputs(args))
    fault_mix = ("429", "503", "drop")
    with FakeServer(fault_rate=args.fault_rate, fault_mix=fault_mix) as server:
        config = RepairConfig(
            model="fake-repair",
            base_url=server.base_url,
            api_key=SecretStr("demo-not-a-key"),
            request_log=args.log_requests,
        )
        with chunk_printer() as printer:
            result = repair_article(case.input, config, on_progress=printer.chunks, fmt=case.format)
        requests = len(server.chat_requests())
    source = f"golden case {args.case} (repair demo)"
    emit(result.model_copy(update={"source_file": source, "finished_at": _now()}), args)
    print(
        "\nrepair demo: no model was called. A fake OpenAI-compatible server on "
        f"{server.base_url}\n"
        f"answered {requests} request(s) with the hand-written reference repair of golden case\n"
        f"'{args.case}'; chunking, prompts, HTTP, retries and checks were all real.\n"
        "To repair with a real model: export OPENAI_API_KEY=sk-... && repair fix ARTICLE.txt\n"
        "(or --base-url http://localhost:11434/v1 --model llama3.1 for Ollama).",
        file=sys.stderr,
    )
    return EXIT_OK if result.ok else EXIT_FLAGGED


def _outputs(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    return [
        ("-o", getattr(args, "output", None)),
        ("--report", args.report),
        ("--report (its result)", result_beside(args.report)),
        ("--log-requests", args.log_requests),
    ]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _run_check(args: argparse.Namespace) -> int:
    source = read_article(args.source, args.encoding)
    repaired = read_article(args.repaired, args.encoding)
    glossary = load_glossary_file(args.glossary) if args.glossary else None
    fmt = formats.resolve(args.format, source, None if args.source == "-" else args.source)
    verifier = None
    if args.verify == "model":
        config = RepairConfig.from_env(
            model=args.model,
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            verify_model=args.verify_model,
        )
        config.endpoint()  # fail before any work when nothing is configured
        verifier = ModelVerifier(config)
    report = check(source, repaired, fmt, glossary=glossary, verifier=verifier)
    if verifier is not None:
        for failure in verifier.failures:
            print(f"repair check: meaning not checked: {failure}", file=sys.stderr)
    if args.json:
        print(report.model_dump_json(indent=2))
    elif report.ok:
        markup = "" if fmt is formats.Format.TEXT else f", the {fmt.value} markup is the same"
        meaning = (
            meaning_phrase(None, 0, 0, 0)
            if verifier is None
            else meaning_phrase(
                verifier.model, verifier.usage.calls, verifier.usage.calls, len(verifier.failures)
            )
        )
        print(
            f"repair check: no change found in {CHECKED_FACTS}{markup}; {meaning}",
            file=sys.stderr,
        )
    else:
        print(f"repair check: {len(report.issues)} finding(s)")
        for issue in report.issues:
            print(f"  {issue.paragraph or '-'} [{issue.kind}] {issue.message}")
    return EXIT_OK if report.ok else EXIT_FLAGGED


if __name__ == "__main__":
    raise SystemExit(main())
