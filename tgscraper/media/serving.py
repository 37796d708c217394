"""The HTTP answer for a media file: the bytes with the right headers, or its metadata.

The bytes go through aiohttp's ``web.FileResponse``, which implements what players and
download tools rely on: ``Content-Length``, a strong ``ETag`` and ``Last-Modified`` from
the file, conditional requests (``If-None-Match`` / ``If-Modified-Since`` -> 304,
``If-Match`` / ``If-Unmodified-Since`` -> 412), ``HEAD``, and one byte range (``bytes=a-b``,
``a-``, ``-n`` -> 206 with ``Content-Range``; unsatisfiable -> 416 with
``Content-Range: bytes */size``), sent with sendfile off the event loop.

Added here: ``Content-Type`` from the stored MIME type (when it is a well-formed one),
``Content-Disposition: inline`` with the original name (RFC 6266: an ASCII ``filename``
fallback and the exact name as RFC 5987 ``filename*=UTF-8''...``), and, since the type
and the name come from whoever sent the file, ``X-Content-Type-Options: nosniff`` and a
``Content-Security-Policy: sandbox`` so an HTML or SVG "file" cannot run script in this
server's origin.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from tgscraper.cache.media_files import MediaFile
from tgscraper.media.filenames import file_name

FALLBACK_TYPE = "application/octet-stream"
_MIME = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]{0,62}/[A-Za-z0-9][\w!#$&^.+-]{0,126}$")
#: RFC 5987 attr-char besides letters and digits
_ATTR_CHARS = "!#$&+-.^_`|~"
_ASCII_NAME = re.compile(r"[^A-Za-z0-9 !#$%&'()*+,\-.;=@\[\]^_`{}~]")


def content_type(mime_type: str | None) -> str:
    return mime_type if mime_type and _MIME.fullmatch(mime_type) else FALLBACK_TYPE


def content_disposition(name: str) -> str:
    """``inline`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266/5987)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = _ASCII_NAME.sub("_", ascii_name).strip() or "file"
    encoded = quote(name, safe=_ATTR_CHARS)
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


def display_name(media: MediaFile) -> str:
    """The name a client should save the file under."""
    return file_name(media.media_type, media.original_filename, media.mime_type)


def file_response(path: Path, media: MediaFile) -> web.FileResponse:
    return web.FileResponse(
        path,
        headers={
            "Content-Type": content_type(media.mime_type),
            "Content-Disposition": content_disposition(display_name(media)),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


def metadata(media: MediaFile, *, on_disk: bool, path: Path | None) -> dict[str, Any]:
    """``metadata_only=true``: what is known of the file; ``file_path`` (absolute) only
    when ``path`` is given (a client on this machine)."""
    answer: dict[str, Any] = {
        "uuid": media.uuid,
        "media_type": media.media_type,
        "size": media.size,
        "mime_type": media.mime_type,
        "original_filename": media.original_filename,
        "downloaded": on_disk,
        "status": media.status,
        "reason": media.reason,
    }
    if path is not None:
        answer["file_path"] = str(path)
    return answer


def is_local_client(request: web.Request) -> bool:
    """A client on this machine talking to us directly (not through a proxy, which would
    make every client look local)."""
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False
