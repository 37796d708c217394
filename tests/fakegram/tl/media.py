"""Photos, documents and link previews as raw TL (MessageMedia*)."""

from __future__ import annotations

from pyrogram import raw

from ..world.model import Document, Photo, PhotoSize, WebPage


def _size_tl(size: PhotoSize) -> raw.types.PhotoSize:
    return raw.types.PhotoSize(type=size.type, w=size.w, h=size.h, size=size.size)


def photo_tl(photo: Photo) -> raw.types.Photo:
    return raw.types.Photo(
        id=photo.id,
        access_hash=photo.access_hash,
        file_reference=photo.file_reference,
        date=photo.date,
        sizes=[_size_tl(size) for size in photo.sizes],
        dc_id=photo.dc_id,
    )


def _attributes(document: Document) -> list[raw.base.DocumentAttribute]:
    kind = document.kind
    attributes: list[raw.base.DocumentAttribute] = []
    if kind == "video":
        attributes.append(
            raw.types.DocumentAttributeVideo(
                duration=document.duration, w=document.w, h=document.h, supports_streaming=True
            )
        )
    elif kind == "round":
        attributes.append(
            raw.types.DocumentAttributeVideo(
                duration=document.duration, w=document.w, h=document.h, round_message=True
            )
        )
    elif kind == "gif":
        attributes.append(raw.types.DocumentAttributeAnimated())
        attributes.append(
            raw.types.DocumentAttributeVideo(
                duration=document.duration, w=document.w, h=document.h, nosound=True
            )
        )
    elif kind == "voice":
        attributes.append(
            raw.types.DocumentAttributeAudio(duration=int(document.duration), voice=True)
        )
    elif kind == "audio":
        attributes.append(
            raw.types.DocumentAttributeAudio(
                duration=int(document.duration),
                title=document.title,
                performer=document.performer,
            )
        )
    elif kind == "sticker":
        attributes.append(raw.types.DocumentAttributeImageSize(w=document.w, h=document.h))
        attributes.append(
            raw.types.DocumentAttributeSticker(
                alt=document.emoji or "", stickerset=raw.types.InputStickerSetEmpty()
            )
        )
    if document.file_name is not None:
        attributes.append(raw.types.DocumentAttributeFilename(file_name=document.file_name))
    return attributes


def document_tl(document: Document) -> raw.types.Document:
    return raw.types.Document(
        id=document.id,
        access_hash=document.access_hash,
        file_reference=document.file_reference,
        date=document.date,
        mime_type=document.mime_type,
        size=document.size,
        dc_id=document.dc_id,
        attributes=_attributes(document),
        thumbs=[_size_tl(size) for size in document.thumbs] or None,
    )


def webpage_tl(page: WebPage) -> raw.types.WebPage:
    return raw.types.WebPage(
        id=page.id,
        url=page.url,
        display_url=page.display_url,
        hash=0,
        type="photo" if page.photo is not None and not page.title else "article",
        site_name=page.site_name,
        title=page.title,
        description=page.description,
        photo=photo_tl(page.photo) if page.photo is not None else None,
    )


def media_tl(media: Photo | Document | WebPage) -> raw.base.MessageMedia:
    if isinstance(media, Photo):
        return raw.types.MessageMediaPhoto(photo=photo_tl(media))
    if isinstance(media, Document):
        return raw.types.MessageMediaDocument(
            document=document_tl(media),
            video=media.kind in ("video", "round"),
            round=media.kind == "round",
            voice=media.kind == "voice",
        )
    return raw.types.MessageMediaWebPage(webpage=webpage_tl(media))
