"""upload.getFile: parts of photos and documents, with core.telegram.org/api/files rules.

offset must be divisible by 4 KiB and limit by 4 KiB with 1 MiB % limit == 0 (with
`precise`: both by 1 KiB, limit <= 1 MiB), and the part may not cross a 1 MiB
boundary; otherwise OFFSET_INVALID / LIMIT_INVALID. A file on the other DC answers
FILE_MIGRATE_X; an outdated file reference FILE_REFERENCE_EXPIRED. A part shorter than
`limit` (possibly empty) ends the file.
"""

from __future__ import annotations

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from ..world.files import file_bytes
from ..world.model import Document, Photo, PhotoSize, World, parse_file_reference

KIB = 1024
MIB = 1024 * 1024


def check_part(offset: int, limit: int, precise: bool) -> None:
    unit = KIB if precise else 4 * KIB
    if offset < 0 or offset % unit:
        raise RpcError(400, "OFFSET_INVALID")
    if limit <= 0 or limit % unit or limit > MIB or (not precise and MIB % limit):
        raise RpcError(400, "LIMIT_INVALID")
    if offset // MIB != (offset + limit - 1) // MIB:
        raise RpcError(400, "LIMIT_INVALID")


def _located(world: World, location) -> tuple[Photo | Document, int, int]:
    """(file, seed, size) a location names; FILE_ID_INVALID / LOCATION_INVALID if none."""
    if isinstance(location, raw.types.InputPhotoFileLocation):
        wanted = Photo
    elif isinstance(location, raw.types.InputDocumentFileLocation):
        wanted = Document
    else:
        raise RpcError(400, "LOCATION_INVALID")
    file = world.files.get(location.id)
    if not isinstance(file, wanted) or file.access_hash != location.access_hash:
        raise RpcError(400, "FILE_ID_INVALID")
    thumb = location.thumb_size
    if isinstance(file, Document) and not thumb:
        return file, file.seed, file.size
    sizes: list[PhotoSize] = file.sizes if isinstance(file, Photo) else file.thumbs
    for size in sizes:
        if size.type == thumb:
            return file, size.seed, size.size
    raise RpcError(400, "LOCATION_INVALID")


def check_reference(file: Photo | Document, reference: bytes) -> None:
    if reference == file.file_reference:
        return
    parsed = parse_file_reference(reference)
    if parsed is not None and parsed[0] == file.id and parsed[1] < file.reference_generation:
        raise RpcError(400, "FILE_REFERENCE_EXPIRED")
    raise RpcError(400, "FILE_REFERENCE_INVALID")


@handles(raw.functions.upload.GetFile)
async def get_file(ctx: CallContext, req: raw.functions.upload.GetFile):
    ctx.require_user()
    check_part(req.offset, req.limit, bool(req.precise))
    file, seed, size = _located(ctx.world, req.location)
    if file.dc_id != ctx.dc_id:
        raise RpcError(303, f"FILE_MIGRATE_{file.dc_id}")
    check_reference(file, req.location.file_reference)
    file_type = (
        raw.types.storage.FileJpeg() if isinstance(file, Photo) else raw.types.storage.FilePartial()
    )
    return raw.types.upload.File(
        type=file_type, mtime=0, bytes=file_bytes(seed, req.offset, req.limit, size)
    )
