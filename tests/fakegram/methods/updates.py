"""updates.getState / getDifference / getChannelDifference: a world without pending updates.

The fake does not replay update streams; a client asking for the difference learns that
nothing happened (its reads go through getHistory and friends).
"""

from __future__ import annotations

import time

from pyrogram import raw

from ..rpc import CallContext, handles

#: pts/qts/seq the fake reports; constant because no update stream is kept.
PTS = 1


@handles(raw.functions.updates.GetState)
async def get_state(ctx: CallContext, req: raw.functions.updates.GetState):
    ctx.require_user()
    return raw.types.updates.State(pts=PTS, qts=0, date=int(time.time()), seq=0, unread_count=0)


@handles(raw.functions.updates.GetDifference)
async def get_difference(ctx: CallContext, req: raw.functions.updates.GetDifference):
    ctx.require_user()
    return raw.types.updates.DifferenceEmpty(date=int(time.time()), seq=0)


@handles(raw.functions.updates.GetChannelDifference)
async def get_channel_difference(ctx: CallContext, req: raw.functions.updates.GetChannelDifference):
    ctx.require_user()
    return raw.types.updates.ChannelDifferenceEmpty(pts=max(req.pts, PTS), final=True, timeout=30)
