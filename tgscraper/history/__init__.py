"""History: serving a chat's messages between two dates from the cache, filling its gaps
from Telegram (``service.py`` plans and streams, ``fill.py`` fetches)."""

from tgscraper.history.fill import FillJob, GapFill, MediaListener
from tgscraper.history.service import (
    FillProgressEvent,
    FloodWaitEvent,
    HistoryEvent,
    HistoryRequest,
    HistoryService,
    Messages,
)

__all__ = [
    "FillJob",
    "FillProgressEvent",
    "FloodWaitEvent",
    "GapFill",
    "HistoryEvent",
    "HistoryRequest",
    "HistoryService",
    "MediaListener",
    "Messages",
]
