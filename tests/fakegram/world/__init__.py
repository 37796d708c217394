"""fakegram's in-memory world (model), its builder, JSON world files and the demo world."""

from .model import (
    ARCHIVE,
    AccountState,
    BasicGroup,
    Channel,
    Dialog,
    DialogFilter,
    Document,
    History,
    Message,
    Photo,
    User,
    WebPage,
    World,
)

__all__ = [
    "ARCHIVE",
    "AccountState",
    "BasicGroup",
    "Channel",
    "Dialog",
    "DialogFilter",
    "Document",
    "History",
    "Message",
    "Photo",
    "User",
    "WebPage",
    "World",
]
