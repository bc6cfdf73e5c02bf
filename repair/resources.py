"""Where the shipped data folders (`prompts/`, `golden/`) are, installed or not.

In the repository they are top-level folders; the wheel carries them as `repair/_data/...`
(see `force-include` in pyproject.toml). One lookup serves both so that an editable
checkout, a plain `pip install .` and a wheel run from any directory all find the same files.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from repair.errors import ConfigurationError


@cache
def data_dir(name: str) -> Path:
    """The folder `name` ("prompts" or "golden") as shipped with this copy of repair."""
    installed = Path(str(files("repair"))) / "_data" / name
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise ConfigurationError(
        f"the '{name}' folder is missing from this installation of repair; reinstall the package",
        folder=name,
    )
