"""Where a downloaded file lives: ``media/<message_id>-<name>`` in the dialog's directory.

The name is Telegram's file name when the file has one, else a name made from the
category with the extension of its MIME type (``photo.jpg``, ``voice.ogg``). Names from
Telegram are chosen by whoever sent the file, so they are sanitised: path separators,
control characters, bidirectional overrides and characters Windows refuses are replaced,
leading dots (``..``, hidden files) and trailing dots and spaces removed, the result is
cut to :data:`MAX_NAME_BYTES` bytes of UTF-8 keeping the extension; other unicode (accents,
CJK, emoji) is kept. The message id prefix keeps names unique within the dialog.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata

MEDIA_DIR = "media"
#: bytes of UTF-8 a name may take (file systems allow 255; room for the id prefix and
#: the temporary suffixes)
MAX_NAME_BYTES = 180
MAX_EXTENSION_BYTES = 16

_STEMS = {
    "photos": "photo",
    "videos": "video",
    "voice_messages": "voice",
    "video_messages": "video_message",
    "stickers": "sticker",
    "gifs": "animation",
    "files": "file",
}
#: extensions mimetypes gets wrong or does not know
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "application/x-tgsticker": ".tgs",
    "application/octet-stream": ".bin",
}
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED = set('/\\<>:"|?*')
_SPACES = re.compile(r"\s+")


def media_path(
    message_id: int, media_type: str, original_filename: str | None, mime_type: str | None
) -> str:
    """The file's path relative to its dialog's directory (what ``file_path`` stores)."""
    return f"{MEDIA_DIR}/{message_id}-{file_name(media_type, original_filename, mime_type)}"


def file_name(media_type: str, original_filename: str | None, mime_type: str | None) -> str:
    """Telegram's name sanitised, or a type-based name with the right extension."""
    name = sanitize(original_filename or "")
    return name or _STEMS.get(media_type, "file") + extension_for(mime_type)


def extension_for(mime_type: str | None) -> str:
    if not mime_type:
        return ""
    mime_type = mime_type.lower().split(";")[0].strip()
    return _EXTENSIONS.get(mime_type) or mimetypes.guess_extension(mime_type) or ""


def sanitize(name: str) -> str:
    """A safe single path component made from an untrusted file name ("" if nothing is
    left)."""
    name = unicodedata.normalize("NFC", name)
    kept = []
    for char in name:
        if char in _REFUSED or unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            kept.append("_")
        else:
            kept.append(char)
    name = _SPACES.sub(" ", "".join(kept)).strip()
    name = name.lstrip(". ").rstrip(". ")
    if not name.strip("_"):
        return ""
    return _cap(name)


def _cap(name: str) -> str:
    """Cut to MAX_NAME_BYTES of UTF-8, keeping a short extension, never splitting a
    character."""
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    keeps_extension = dot and stem and len(extension.encode()) < MAX_EXTENSION_BYTES
    suffix = f".{extension}" if keeps_extension else ""
    if not keeps_extension:
        stem = name
    budget = MAX_NAME_BYTES - len(suffix.encode())
    cut = stem.encode()[:budget].decode(errors="ignore").rstrip(". ")
    return cut + suffix
