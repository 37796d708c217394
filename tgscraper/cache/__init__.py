"""The SQLite cache: one database per dialog, coverage-tracked.

Modules, one job each:

* ``records``     — the rows (``MessageRecord``, ``MediaRow``, ``PeerRow``, ``DialogInfo``,
  ``ConvertedBatch``) and the message JSON.
* ``db``          — a dialog database: its connections (writer + readers), opened when
  needed, closed when idle and reopened; leases.
* ``schema``      — the tables and their migrations.
* ``coverage``    — gaps in SQL, merging intervals, and ``FillProgress`` (what a Telegram
  page proves: the fill contract).
* ``store``       — ``write_batch``: messages, users, media and coverage in one transaction.
* ``reader``      — keyset reads of stored JSON, ``message_key``, ``summary``.
* ``media_files`` — media rows: download locations and download state.
* ``media_index`` — global uuid -> dialog index.
* ``dialog``      — ``DialogCache``, the per-dialog facade.
* ``manager``     — ``CacheManager``: file layout, one cache per dialog, how many stay
  open (cap, idle closing), close.
"""

from tgscraper.cache.coverage import Claim, FillProgress
from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.manager import CacheManager
from tgscraper.cache.reader import CachedBatch, messages_payload
from tgscraper.cache.records import ConvertedBatch, MessageRecord
from tgscraper.cache.store import WriteResult

__all__ = [
    "CacheManager",
    "CachedBatch",
    "Claim",
    "ConvertedBatch",
    "DialogCache",
    "FillProgress",
    "MessageRecord",
    "WriteResult",
    "messages_payload",
]
