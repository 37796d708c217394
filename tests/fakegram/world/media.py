"""Making photos, documents and link previews (the media half of WorldBuilder).

Every file gets an id, an access_hash and a seed (its bytes are
`files.file_bytes(seed, ...)`) and lives on one DC (default: DC 2, the accounts'
home). Photo sizes and document thumbnails are files too, each with its own seed.
"""

from __future__ import annotations

import hashlib

from .model import DOCUMENT_KINDS, Document, Media, Photo, PhotoSize, WebPage, World

FIRST_FILE_ID = 5_000_000_000_000_001
#: Telegram's photo size letters and the box each fits in
PHOTO_BOXES = (("s", 100), ("m", 320), ("x", 800), ("y", 1280), ("w", 2560))
DEFAULT_DC = 2


def _file_access_hash(file_id: int) -> int:
    digest = hashlib.blake2b(f"file:{file_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


def _scaled(w: int, h: int, box: int) -> tuple[int, int]:
    scale = min(1.0, box / max(w, h, 1))
    return max(1, round(w * scale)), max(1, round(h * scale))


class MediaFactory:
    """Mixin of WorldBuilder: needs `self.world` and `self.now()`."""

    world: World

    def now(self) -> int:  # pragma: no cover - provided by WorldBuilder
        raise NotImplementedError

    def _file_id(self) -> int:
        while True:
            file_id = self.world.next_id("file", FIRST_FILE_ID)
            if file_id not in self.world.files:
                return file_id

    def _sizes(self, seed: int, w: int, h: int, size: int) -> list[PhotoSize]:
        """Sizes up to the photo's own; the largest has `size` bytes, smaller scale down."""
        sizes = []
        for index, (letter, box) in enumerate(PHOTO_BOXES):
            sw, sh = _scaled(w, h, box)
            fraction = (sw * sh) / max(w * h, 1)
            sizes.append(
                PhotoSize(letter, sw, sh, max(64, int(size * fraction)), seed * 16 + index)
            )
            if box >= max(w, h):
                break
        sizes[-1].size = size
        return sizes

    def photo(
        self,
        size: int = 60_000,
        *,
        w: int = 1280,
        h: int = 960,
        dc_id: int = DEFAULT_DC,
        seed: int | None = None,
        date: int | None = None,
        id: int | None = None,
    ) -> Photo:
        """A photo whose largest size is w x h with `size` bytes."""
        file_id = id or self._file_id()
        seed = file_id if seed is None else seed
        photo = Photo(
            file_id,
            _file_access_hash(file_id),
            date if date is not None else self.now(),
            dc_id,
            self._sizes(seed, w, h, size),
            seed,
        )
        self.world.add_file(photo)
        return photo

    def document(
        self,
        size: int = 100_000,
        *,
        mime_type: str = "application/octet-stream",
        file_name: str | None = "file.bin",
        kind: str = "document",
        dc_id: int = DEFAULT_DC,
        seed: int | None = None,
        date: int | None = None,
        duration: float = 0,
        w: int = 0,
        h: int = 0,
        title: str | None = None,
        performer: str | None = None,
        emoji: str | None = None,
        thumb: bool = False,
        id: int | None = None,
    ) -> Document:
        """A file; `kind` picks the attributes: document, video, round, voice, audio,
        sticker, gif. `thumb` adds a 320px thumbnail."""
        if kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {kind!r}; known: {DOCUMENT_KINDS}")
        file_id = id or self._file_id()
        seed = file_id if seed is None else seed
        thumbs = []
        if thumb:
            tw, th = _scaled(w or 320, h or 320, 320)
            thumbs.append(PhotoSize("m", tw, th, 4_000, seed * 16 + 15))
        document = Document(
            file_id,
            _file_access_hash(file_id),
            date if date is not None else self.now(),
            dc_id,
            size,
            seed,
            mime_type,
            kind=kind,
            file_name=file_name,
            duration=duration,
            w=w,
            h=h,
            title=title,
            performer=performer,
            emoji=emoji,
            thumbs=thumbs,
        )
        self.world.add_file(document)
        return document

    def video(
        self,
        size: int = 2_000_000,
        *,
        duration: float = 12,
        w: int = 1280,
        h: int = 720,
        file_name: str | None = "video.mp4",
        **kwargs,
    ) -> Document:
        return self.document(
            size,
            mime_type="video/mp4",
            file_name=file_name,
            kind="video",
            duration=duration,
            w=w,
            h=h,
            thumb=True,
            **kwargs,
        )

    def round_video(
        self, size: int = 500_000, *, duration: float = 8, length: int = 384, **kwargs
    ) -> Document:
        return self.document(
            size,
            mime_type="video/mp4",
            file_name=None,
            kind="round",
            duration=duration,
            w=length,
            h=length,
            thumb=True,
            **kwargs,
        )

    def voice(self, size: int = 30_000, *, duration: float = 5, **kwargs) -> Document:
        return self.document(
            size, mime_type="audio/ogg", file_name=None, kind="voice", duration=duration, **kwargs
        )

    def audio(
        self,
        size: int = 3_000_000,
        *,
        duration: float = 180,
        title: str = "Song",
        performer: str = "Band",
        file_name: str | None = "song.mp3",
        **kwargs,
    ) -> Document:
        return self.document(
            size,
            mime_type="audio/mpeg",
            file_name=file_name,
            kind="audio",
            duration=duration,
            title=title,
            performer=performer,
            **kwargs,
        )

    def sticker(self, size: int = 20_000, *, emoji: str = "🙂", **kwargs) -> Document:
        return self.document(
            size,
            mime_type="image/webp",
            file_name="sticker.webp",
            kind="sticker",
            emoji=emoji,
            w=512,
            h=512,
            **kwargs,
        )

    def gif(
        self, size: int = 400_000, *, duration: float = 3, w: int = 480, h: int = 270, **kwargs
    ) -> Document:
        return self.document(
            size,
            mime_type="video/mp4",
            file_name="animation.mp4",
            kind="gif",
            duration=duration,
            w=w,
            h=h,
            thumb=True,
            **kwargs,
        )

    def webpage(
        self,
        url: str,
        *,
        title: str | None = None,
        description: str | None = None,
        site_name: str | None = None,
        photo: Photo | None = None,
    ) -> WebPage:
        """A link preview (no file of its own; `photo` may be one made by `photo()`)."""
        page_id = self.world.next_id("webpage", 7_000_000_000_000_001)
        display = url.split("://", 1)[-1]
        return WebPage(page_id, url, display, site_name, title, description, photo)

    def expire_file_reference(self, media: Media) -> None:
        """Expire a photo's or document's file reference (FILE_REFERENCE_EXPIRED until the
        client refetches a message, which carries the new reference)."""
        target = getattr(media, "photo", None) if not hasattr(media, "file_reference") else media
        if target is None:
            raise ValueError("this media has no file")
        self.world.expire_file_reference(target)
