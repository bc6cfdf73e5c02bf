"""The house's rules, checked on the source: imports go down the floors or sideways, never
up; no cycles; the package's own modules are imported at the top of a file; and the
model SDK is loaded only when a model is called."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "repair"

# Floors, bottom first. A module may import from its own floor or any floor below it.
FLOORS: list[tuple[str, ...]] = [
    (
        "repair.errors",
        "repair.config",
        "repair.results",
        "repair.aio",
        "repair.resources",
        "repair.files",
        "repair.pricing",
    ),
    ("repair.formats", "repair.facts"),
    ("repair.validation",),
    ("repair.llm",),
    (
        "repair.chunker",
        "repair.prompts",
        "repair.answer",
        "repair.glossary",
        "repair.verify",
        "repair.edits",
        "repair.pipeline",
        "repair.suggest",
        "repair.review",
    ),
    ("repair.batch",),
    ("repair.report",),
    ("repair.testing",),
    ("repair.service",),
    ("repair.cli", "repair.__main__", "repair.fake"),
]


def floor_of(module: str) -> int:
    for level, rooms in enumerate(FLOORS):
        if any(module == room or module.startswith(room + ".") for room in rooms):
            return level
    raise AssertionError(f"{module} is on no floor: add it to FLOORS in {__file__}")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def imports_of(path: Path) -> list[tuple[str, ast.stmt, bool]]:
    """(module imported, the statement, whether it sits at the top of the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    top |= {
        id(child)
        for node in tree.body
        if isinstance(node, ast.If | ast.Try)
        for child in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from repair import formats` imports the module repair.formats
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                for a in node.names
            ]
        else:
            continue
        for name in names:
            if name.startswith("repair.") and name in MODULES:
                found.append((name, node, id(node) in top))
    return found


def problems_of(name: str, path: Path) -> list[str]:
    """Imports of `path` (as module `name`) that go up the house or hide inside a function."""
    mine = floor_of(name)
    found = []
    for target, node, at_top in imports_of(path):
        if floor_of(target) > mine:
            found.append(
                f"{name} (floor {mine}) imports {target} (floor {floor_of(target)}) "
                f"at line {node.lineno}: an import up the house"
            )
        if not at_top:
            found.append(f"{name} imports {target} inside a function at line {node.lineno}")
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_every_module_is_on_a_floor() -> None:
    for name in MODULES:
        if name != "repair":
            floor_of(name)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "repair"))
def test_imports_go_down_or_sideways_and_sit_at_the_top(name: str) -> None:
    assert problems_of(name, MODULES[name]) == []


def test_no_import_cycles() -> None:
    graph = {
        name: {target for target, _, at_top in imports_of(path) if at_top and target != name}
        for name, path in MODULES.items()
        if name != "repair"  # imports only under TYPE_CHECKING and lazily (PEP 562)
    }
    assert find_cycle(graph) is None


def test_the_rules_catch_an_upward_import_a_hidden_one_and_a_cycle(tmp_path: Path) -> None:
    """The checks above must be able to fail."""
    bad = tmp_path / "results.py"
    bad.write_text(
        "from repair.cli import main\n\ndef later():\n    from repair import errors\n",
        encoding="utf-8",
    )
    problems = problems_of("repair.results", bad)
    assert len(problems) == 2
    assert "up the house" in problems[0] and "inside a function" in problems[1]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_validating_never_imports_the_model_sdk() -> None:
    out = _run(
        "import sys, repair\n"
        "report = repair.validate('Trump met Putin in 2018.', 'Trump met Putin in 2019.')\n"
        "assert not report.ok\n"
        "repair.extract_facts('Two submarines.')\n"
        "print(sorted(m for m in ('openai', 'httpx2') if m in sys.modules))\n"
    )
    assert out.strip() == "[]"


def test_the_command_line_loads_the_sdk_only_to_call_a_model(tmp_path: Path) -> None:
    source, repaired = tmp_path / "a.txt", tmp_path / "b.txt"
    source.write_text("The envoy made four trips.\n", encoding="utf-8")
    repaired.write_text("The envoy made four trips.\n", encoding="utf-8")
    out = _run(
        "import sys\n"
        "from repair.cli import main\n"
        f"code = main(['check', {str(source)!r}, {str(repaired)!r}])\n"
        "print(code, sorted(m for m in ('openai', 'httpx2') if m in sys.modules))\n"
    )
    assert out.strip().splitlines()[-1] == "0 []"


def test_making_a_client_loads_the_sdk() -> None:
    out = _run(
        "import sys\n"
        "from pydantic import SecretStr\n"
        "from repair import OpenAIChat, RepairConfig\n"
        "assert 'openai' not in sys.modules\n"
        "OpenAIChat(RepairConfig(base_url='http://127.0.0.1:9/v1', api_key=SecretStr('k')))\n"
        "print('openai' in sys.modules)\n"
    )
    assert out.strip() == "True"
