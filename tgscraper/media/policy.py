"""What the settings allow: automatic downloads, and on-demand fetches.

The converter decides a file's category (``records.MEDIA_TYPES``); this module decides,
from the live settings, whether a file is downloaded when its message is stored:

* ``download_media`` off -> ``disabled``;
* its category off in ``download_file_types`` -> ``skipped_by_type``;
* larger than ``max_media_size_mb`` (0/null: no limit) -> ``skipped_by_size``;
* otherwise it is downloaded (``downloaded``, or ``failed`` with the reason).

A file asked for by ``GET /files/{uuid}`` is fetched whatever the toggles say, as long as
it is within ``max_media_size_mb``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tgscraper.cache.records import DISABLED, SKIPPED_BY_SIZE, SKIPPED_BY_TYPE
from tgscraper.settings import Settings


@dataclass(frozen=True, slots=True)
class Verdict:
    """``skip`` is None when the file is to be downloaded, else the status to record
    with ``reason``."""

    skip: str | None = None
    reason: str | None = None

    @property
    def download(self) -> bool:
        return self.skip is None


DOWNLOAD = Verdict()


def automatic(settings: Settings, media_type: str, size: int | None) -> Verdict:
    """Whether a file is downloaded when its message is stored."""
    if not settings.download_media:
        return Verdict(DISABLED, "download_media is off")
    if not settings.download_file_types.allows(media_type):
        return Verdict(SKIPPED_BY_TYPE, f"download_file_types.{media_type} is off")
    refusal = _over_limit(settings, size)
    if refusal is not None:
        return Verdict(SKIPPED_BY_SIZE, refusal)
    return DOWNLOAD


def on_demand_refusal(settings: Settings, size: int | None) -> str | None:
    """Why a file may not be fetched on request (too large), or None."""
    return _over_limit(settings, size)


def _over_limit(settings: Settings, size: int | None) -> str | None:
    limit = settings.max_media_size_bytes
    if limit is None or size is None or size <= limit:
        return None
    return (
        f"the file has {size} bytes, more than max_media_size_mb ({settings.max_media_size_mb} MB)"
    )
