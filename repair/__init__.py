"""repair: restore fluent English to machine-translated articles, and prove no fact changed.

The public API; everything else is an implementation detail.
"""

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
from repair.models import Edit, Glossary, GlossaryEntry, ParagraphResult, RepairResult, Usage
from repair.pipeline import arepair_article, repair_article
from repair.report import render_html, render_markdown
from repair.validator import ValidationIssue, ValidationReport, validate, validate_paragraph

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
    "OpenAIChat",
    "ParagraphResult",
    "RepairConfig",
    "RepairError",
    "RepairResult",
    "Usage",
    "ValidationIssue",
    "ValidationReport",
    "apply_edits",
    "arepair_article",
    "compute_edits",
    "detect",
    "extract_facts",
    "render_html",
    "render_markdown",
    "repair_article",
    "validate",
    "validate_paragraph",
]
