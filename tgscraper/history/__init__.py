"""History: serving a chat's messages between two dates from the cache, filling its gaps
from Telegram: ``service.py`` the fills running, ``run.py`` plans and streams a request,
``fill.py`` fetches gaps (``segments.py`` its pagers' ranges), ``recent.py`` the newest
part from the top, ``visibility.py`` where a history starts for an account,
``events.py`` what a run yields."""

from tgscraper.history.events import (
    FillProgressEvent,
    FloodWaitEvent,
    HistoryEvent,
    Messages,
    Waiting,
)
from tgscraper.history.fill import FillJob, GapFill, MediaListener
from tgscraper.history.run import HistoryRequest
from tgscraper.history.service import HistoryService

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
