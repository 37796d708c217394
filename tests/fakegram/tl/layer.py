"""Answers for the client's layer: fakegram builds them with the client's own pyrogram.raw,
so a field a newer layer added does not exist in an older kurigram's constructor.

Fields passed through `newer_fields` are optional ones sent empty (0, []): leaving them
out where the layer lacks them is what a server of that layer would answer.
"""

from __future__ import annotations

from typing import Any

from pyrogram.raw.core import TLObject


def newer_fields(tl_class: type[TLObject], **fields: Any) -> dict[str, Any]:
    """Those of `fields` that `tl_class` has in the installed layer."""
    return {name: value for name, value in fields.items() if name in tl_class.__slots__}
