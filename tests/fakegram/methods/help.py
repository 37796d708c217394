"""help.getConfig and help.getNearestDc: the fake's DCs, all on 127.0.0.1."""

from __future__ import annotations

import time

from pyrogram import raw

from ..rpc import CallContext, handles

CONFIG_LIFETIME = 3600


def dc_options(ctx: CallContext) -> list[raw.types.DcOption]:
    """Every DC twice: a normal option and a media_only one (same listener)."""
    options = []
    for dc_id, port in ctx.server.dc_ports.items():
        for media_only in (False, True):
            options.append(
                raw.types.DcOption(
                    id=dc_id,
                    ip_address=ctx.server.host,
                    port=port,
                    media_only=media_only or None,
                    static=True,
                )
            )
    return options


@handles(raw.functions.help.GetConfig)
async def get_config(ctx: CallContext, req: raw.functions.help.GetConfig) -> raw.types.Config:
    now = int(time.time())
    return raw.types.Config(
        date=now,
        expires=now + CONFIG_LIFETIME,
        test_mode=False,
        this_dc=ctx.dc_id,
        dc_options=dc_options(ctx),
        dc_txt_domain_name="fakegram.invalid",
        chat_size_max=200,
        megagroup_size_max=200_000,
        forwarded_count_max=100,
        online_update_period_ms=210_000,
        offline_blur_timeout_ms=5_000,
        offline_idle_timeout_ms=30_000,
        online_cloud_timeout_ms=300_000,
        notify_cloud_delay_ms=30_000,
        notify_default_delay_ms=1_500,
        push_chat_period_ms=60_000,
        push_chat_limit=2,
        edit_time_limit=172_800,
        revoke_time_limit=2_147_483_647,
        revoke_pm_time_limit=2_147_483_647,
        rating_e_decay=2_419_200,
        stickers_recent_limit=200,
        channels_read_media_period=604_800,
        call_receive_timeout_ms=20_000,
        call_ring_timeout_ms=90_000,
        call_connect_timeout_ms=30_000,
        call_packet_timeout_ms=10_000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=4,
        tmp_sessions=None,
        suggested_lang_code="en",
    )


@handles(raw.functions.help.GetNearestDc)
async def get_nearest_dc(ctx: CallContext, req: raw.functions.help.GetNearestDc):
    return raw.types.NearestDc(country="ZZ", this_dc=ctx.dc_id, nearest_dc=ctx.dc_id)
