"""Writing inside DIR and nowhere else, and telling a bad path from a full disk.

Every file a batch writes or deletes goes through an `OutputFolder`:

- A path whose folders lead outside DIR (a link inside DIR to another place, or a link
  loop) is refused before anything is written or deleted there: a symlinked subfolder
  once let a batch overwrite a file outside its output folder and delete another. The
  last component may be a link: a rename or an unlink replaces the link, not its target.
- An OSError that belongs to one path (a folder where the file should be, a name too
  long) is that article's problem: it is skipped with the reason and the job goes on.
  Any other (disk full, read-only, permission denied) would fail every article alike: it
  becomes one `OutputError` that stops the job. What was done is in the store, so the
  same command resumes once the folder can be written again.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from repair.batch.archive import ArticleProblem
from repair.errors import OutputError
from repair.files import TEMP_SUFFIX, write_atomically

# Errors of one path, not of the folder or the disk: the next article may well be written.
PATH_ERRNOS = frozenset(
    {
        errno.EISDIR,
        errno.ENOTDIR,
        errno.ENAMETOOLONG,
        errno.ELOOP,
        errno.EEXIST,
        errno.EINVAL,  # a name the file system will not take (FAT: "a:b.txt")
        errno.EILSEQ,  # a name in an encoding the file system will not take
    }
)
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class OutputFolder:
    """DIR, resolved once: every path written is checked against its real location."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real = root.resolve()

    def escape(self, relative: str) -> ArticleProblem | None:
        """Why writing DIR/`relative` would land outside DIR, or None when it stays inside."""
        folder = (self.root / relative).parent
        try:
            real = folder.resolve()
        except (OSError, RuntimeError):  # a link loop: Python 3.11 raises RuntimeError
            return ArticleProblem("unsafe-output", f"the folder of {relative} is a link loop")
        if real.is_relative_to(self.real):
            return None
        return ArticleProblem(
            "unsafe-output",
            f"{relative} would be written to {real}, outside --out, through a link; not written",
        )

    def write(self, relative: str, text: str) -> ArticleProblem | None:
        """An article's output: None when written, else why not (the job goes on).

        Raises OutputError when nothing can be written here at all.
        """
        problem = self.escape(relative)
        if problem is not None:
            return problem
        try:
            write_atomically(self.root / relative, text)
        except UnicodeEncodeError as exc:
            return ArticleProblem("unwritable", f"the text cannot be written as UTF-8: {exc}")
        except OSError as exc:
            if exc.errno in PATH_ERRNOS:
                return ArticleProblem("unwritable", f"cannot write {relative}: {_words(exc)}")
            raise self.error(exc, relative) from None
        return None

    def remove(self, relative: str) -> None:
        """Delete an earlier run's output of an article that no longer has one."""
        if self.escape(relative) is not None:
            return  # not ours to delete
        target = self.root / relative
        if not (target.is_symlink() or target.is_file()):
            return  # nothing there, or a folder (an unlistable source folder's name)
        try:
            target.unlink(missing_ok=True)
        except OSError as exc:
            if exc.errno not in PATH_ERRNOS:
                raise self.error(exc, relative) from None

    def write_whole(self, name: str, content: str | Iterable[str]) -> None:
        """A file of the job itself (the manifest, the output JSONL): any failure stops it."""
        try:
            write_atomically(self.root / name, content)
        except OSError as exc:
            raise self.error(exc, name) from None

    def open_live(self, name: str) -> TextIO:
        """A file written line by line as the job goes, opened afresh, never through a link
        (open() would follow one and truncate its target)."""
        path = self.root / name
        try:
            if path.is_symlink():
                path.unlink()
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
            return os.fdopen(os.open(path, flags, 0o666), "w", encoding="utf-8")
        except OSError as exc:
            raise self.error(exc, name) from None

    def remove_stray_temp_files(self) -> None:
        """A `kill -9` during a write leaves a `.NAME.XXXX.tmp` file: remove them.

        os.walk does not follow links to folders, so this never deletes outside DIR.
        """
        for folder, _, files in os.walk(self.root):
            for name in files:
                if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                    # A read-only folder: the first real write says so, in one line.
                    with contextlib.suppress(OSError):
                        Path(folder, name).unlink(missing_ok=True)

    def error(self, exc: OSError, relative: str) -> OutputError:
        path = self.root / relative
        if exc.errno in _FULL:
            fix = "make room"
        elif exc.errno in _READ_ONLY:
            fix = "make it writable or choose another --out"
        else:
            fix = "fix that"
        hint = f"{fix}, then run the same command again to resume"
        return OutputError(
            f"cannot write {path}: {_words(exc)}; {hint}", path=str(path), errno=exc.errno
        )


def _words(exc: OSError) -> str:
    return exc.strerror or str(exc)
