"""Everything model-facing: the protocol the pipeline speaks (`protocol`), the client for
any OpenAI-compatible endpoint and the one retry layer (`client`), pacing a batch under
rate limits (`pacing`) and token estimates (`tokens`).

Importing this package does not import `openai`: the SDK loads when a client is made.
"""

from repair.llm.client import ClientArg, OpenAIChat, open_model
from repair.llm.pacing import GatedChat, RateGate
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest

__all__ = [
    "ChatModel",
    "ChatReply",
    "ChatRequest",
    "ClientArg",
    "GatedChat",
    "OpenAIChat",
    "RateGate",
    "open_model",
]
