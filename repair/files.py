"""Files in and out, the same for every front door (`fix`, `check`, `batch`, the report).

- `write_atomically`: a whole text or a stream of lines, written to a temporary file in the
  same folder and renamed over the target, so a crash or `kill -9` never leaves half an
  article or half a manifest behind.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def write_atomically(path: Path, content: str | Iterable[str]) -> None:
    """Write `content` (a text, or lines to which newlines are added) via a rename.

    The temporary file is opened with "x" rather than made by mkstemp, so the result gets
    the permissions a plain open() would give (mkstemp's are owner-only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with tmp.open("x", encoding="utf-8", newline="") as out:
            if isinstance(content, str):
                out.write(content)
            else:
                for line in content:
                    out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temp_name(path: Path) -> Path:
    """Where `write_atomically` writes first: `.NAME.XXXXXXXX.tmp` beside the target."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
