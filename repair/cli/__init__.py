"""The `repair` command: `main` parses, reads, calls the library, prints and exits.

`main.py` holds `fix`, `demo` and `check`; `batch.py` and `report.py` (`report`, `apply`)
the others; `common.py` what they share.
"""

from repair.cli.main import main

__all__ = ["main"]
