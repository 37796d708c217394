"""Drawing a login link as a QR code: SVG and PNG for the API, text for the terminal."""

from __future__ import annotations

import io

import qrcode
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage

#: pixels per module of the PNG
PNG_BOX = 8


def _code(data: str, **options) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, **options)
    code.add_data(data)
    code.make(fit=True)
    return code


def render_svg(data: str) -> bytes:
    """A standalone SVG document (blocking, a few ms: run it in a thread)."""
    return _code(data, box_size=10, image_factory=SvgPathImage).make_image().to_string()


def render_png(data: str) -> bytes:
    """A black-on-white PNG (blocking, a few ms: run it in a thread)."""
    buffer = io.BytesIO()
    _code(data, box_size=PNG_BOX, image_factory=PyPNGImage).make_image().save(buffer)
    return buffer.getvalue()


def render_text(data: str) -> str:
    """The code as lines of block characters for a terminal (two rows per line)."""
    out = io.StringIO()
    _code(data, border=2).print_ascii(out=out, invert=True)
    return out.getvalue()
