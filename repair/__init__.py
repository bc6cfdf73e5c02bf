"""repair: restore fluent English to machine-translated articles, and check each repair for
changed names, numbers, dates, quotes and negations (and, with a model, meaning).

The public API; everything else is an implementation detail. Names are imported when first
used (PEP 562), so `import repair` is cheap and validating an article never loads the
model SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# name -> the module that defines it
_EXPORTS = {
    "ChatModel": "repair.llm",
    "ChatReply": "repair.llm",
    "ChatRequest": "repair.llm",
    "OpenAIChat": "repair.llm",
    "ConfigurationError": "repair.errors",
    "FactError": "repair.errors",
    "InputError": "repair.errors",
    "ModelCallError": "repair.errors",
    "ModelOutputError": "repair.errors",
    "RepairError": "repair.errors",
    "RepairConfig": "repair.config",
    "Edit": "repair.results",
    "Glossary": "repair.results",
    "GlossaryEntry": "repair.results",
    "ParagraphResult": "repair.results",
    "ReasonCode": "repair.results",
    "RepairResult": "repair.results",
    "Suggestion": "repair.results",
    "Usage": "repair.results",
    "ValidationIssue": "repair.results",
    "ValidationReport": "repair.results",
    "FactLedger": "repair.facts",
    "extract_facts": "repair.facts",
    "Format": "repair.formats",
    "detect": "repair.formats",
    "apply_edits": "repair.edits",
    "compute_edits": "repair.edits",
    "arepair_article": "repair.pipeline",
    "repair_article": "repair.pipeline",
    "render_html": "repair.report",
    "render_markdown": "repair.report",
    "validate": "repair.validation",
    "avalidate": "repair.validation",
    "Verifier": "repair.validation",
    "ModelVerifier": "repair.verify",
    "validate_paragraph": "repair.validation",
    "ReviewOutcome": "repair.review",
    "apply_choices": "repair.review",
}

__all__ = [
    "ChatModel",
    "ChatReply",
    "ChatRequest",
    "ConfigurationError",
    "Edit",
    "FactError",
    "FactLedger",
    "Format",
    "Glossary",
    "GlossaryEntry",
    "InputError",
    "ModelCallError",
    "ModelOutputError",
    "ModelVerifier",
    "OpenAIChat",
    "ParagraphResult",
    "ReasonCode",
    "RepairConfig",
    "RepairError",
    "RepairResult",
    "ReviewOutcome",
    "Suggestion",
    "Usage",
    "ValidationIssue",
    "ValidationReport",
    "Verifier",
    "apply_choices",
    "apply_edits",
    "arepair_article",
    "avalidate",
    "compute_edits",
    "detect",
    "extract_facts",
    "render_html",
    "render_markdown",
    "repair_article",
    "validate",
    "validate_paragraph",
]  # the keys of _EXPORTS, spelled out for tools that read them


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'repair' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from repair.config import RepairConfig
    from repair.edits import apply_edits, compute_edits
    from repair.errors import (
        ConfigurationError,
        FactError,
        InputError,
        ModelCallError,
        ModelOutputError,
        RepairError,
    )
    from repair.facts import FactLedger, extract_facts
    from repair.formats import Format, detect
    from repair.llm import ChatModel, ChatReply, ChatRequest, OpenAIChat
    from repair.pipeline import arepair_article, repair_article
    from repair.report import render_html, render_markdown
    from repair.results import (
        Edit,
        Glossary,
        GlossaryEntry,
        ParagraphResult,
        ReasonCode,
        RepairResult,
        Suggestion,
        Usage,
        ValidationIssue,
        ValidationReport,
    )
    from repair.review import ReviewOutcome, apply_choices
    from repair.validation import Verifier, avalidate, validate, validate_paragraph
    from repair.verify import ModelVerifier
