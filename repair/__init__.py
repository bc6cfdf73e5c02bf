"""repair: restore fluent English to machine-translated articles, and prove no fact changed.

The public API; everything else is an implementation detail.
"""

from repair.config import RepairConfig
from repair.errors import (
    ConfigurationError,
    FactError,
    InputError,
    ModelCallError,
    ModelOutputError,
    RepairError,
)
from repair.llm import ChatModel, ChatReply, ChatRequest, OpenAIChat
from repair.models import ParagraphResult, RepairResult, Usage
from repair.pipeline import arepair_article, repair_article

__all__ = [
    "ChatModel",
    "ChatReply",
    "ChatRequest",
    "ConfigurationError",
    "FactError",
    "InputError",
    "ModelCallError",
    "ModelOutputError",
    "OpenAIChat",
    "ParagraphResult",
    "RepairConfig",
    "RepairError",
    "RepairResult",
    "Usage",
    "arepair_article",
    "repair_article",
]
