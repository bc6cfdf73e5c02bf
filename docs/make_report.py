"""Make docs/report.html and docs/report.png from today's code, so the picture in the
README never shows an old report.

    python docs/make_report.py                   # docs/report.html, its result, docs/report.png
    python docs/make_report.py --case NAME       # another golden case (repair demo --list)
    python docs/make_report.py --out /tmp/x --no-picture

A golden case goes through the real pipeline and the project's fake OpenAI-compatible
server on 127.0.0.1, as `repair demo --report` does, with one difference: the fake's first
repair answer changes a number (the `change-number` fault) and the model is not asked
again, so the picture also shows a flagged paragraph, its refused wording beside the kept
original. Requests go one at a time so that fault always lands on the first chunk. The
page is then drawn by headless Chromium (Debian's `chromium` package) at 1200x1500.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from pydantic import SecretStr

from repair.cli.output import result_beside, write_report
from repair.config import RepairConfig
from repair.files import write_atomically
from repair.glossary import find_clusters
from repair.pipeline import repair_article
from repair.results import RepairResult
from repair.testing.fake import FakeServer
from repair.testing.golden import load_case

DOCS = Path(__file__).resolve().parent
SIZE = (1200, 1500)


def repaired(case_name: str) -> RepairResult:
    case = load_case(case_name)
    with FakeServer() as server:
        # A glossary request, when the article has names to settle, goes first and passes;
        # the first repair answer is spoiled.
        server.script(*(["ok"] if find_clusters(case.input) else []), "change-number")
        config = RepairConfig(
            model="fake-repair",
            base_url=server.base_url,
            api_key=SecretStr("docs-not-a-key"),
            concurrency=1,
            max_reasks=0,
        )
        result = repair_article(case.input, config, fmt=case.format)
    return result.model_copy(
        update={
            "source_file": f"golden/{case_name}/{_input_name(case.path)}",
            "finished_at": datetime.now(UTC).replace(microsecond=0),
        }
    )


def _input_name(folder: Path) -> str:
    return next(p.name for p in sorted(folder.glob("input.*")))


def screenshot(page: Path, picture: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as profile:
        argv = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
            f"--window-size={SIZE[0]},{SIZE[1]}", f"--screenshot={picture}", page.as_uri(),
        ]  # fmt: skip
        # Our own argument list, no shell: nothing from the article reaches it.
        subprocess.run(argv, check=True, capture_output=True, timeout=120)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--case",
        default="trade-fair-names",
        help="golden case (default: trade-fair-names, which has suggestions for the editor)",
    )
    parser.add_argument("--out", type=Path, default=DOCS, help="folder (default: docs/)")
    parser.add_argument("--no-picture", action="store_true", help="the page only, no Chromium")
    args = parser.parse_args(argv)
    result = repaired(args.case)
    page = args.out / "report.html"
    saved = result_beside(str(page))
    assert saved is not None
    # As `repair fix --report` does: the result beside the page, named by its commands.
    write_atomically(Path(saved), result.model_dump_json(indent=2) + "\n")
    write_report(result, page, Path(saved).name)
    print(f"wrote {page} and {saved}: {len(result.flagged)} flagged paragraph(s)")
    if not args.no_picture:
        screenshot(page, args.out / "report.png")
        print(f"wrote {args.out / 'report.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
