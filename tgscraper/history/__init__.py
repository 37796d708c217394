"""History: serving a chat's messages between two dates from the cache, filling its gaps
from Telegram (``service.py`` plans and streams, ``fill.py`` fetches gaps, ``recent.py``
the newest part from the top, ``events.py`` what a run yields)."""

from tgscraper.history.events import (
    FillProgressEvent,
    FloodWaitEvent,
    HistoryEvent,
    Messages,
    Waiting,
)
from tgscraper.history.fill import FillJob, GapFill, MediaListener
from tgscraper.history.service import HistoryRequest, HistoryService

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
    "Waiting",
]
