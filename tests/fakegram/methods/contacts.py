"""contacts.resolveUsername, contacts.resolvePhone, contacts.search."""

from __future__ import annotations

import re

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from ..tl import peer_tl, peers_tl
from ..world.model import User

USERNAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{3,31}")


@handles(raw.functions.contacts.ResolveUsername)
async def resolve_username(ctx: CallContext, req: raw.functions.contacts.ResolveUsername):
    viewer = ctx.require_user()
    name = req.username.lstrip("@")
    if not USERNAME_RE.fullmatch(name):
        raise RpcError(400, "USERNAME_INVALID")
    target = ctx.world.resolve_username(name)
    if target is None:
        raise RpcError(400, "USERNAME_NOT_OCCUPIED")
    users, chats = peers_tl(ctx.world, viewer, [target.peer])
    return raw.types.contacts.ResolvedPeer(peer=peer_tl(target.peer), chats=chats, users=users)


@handles(raw.functions.contacts.ResolvePhone)
async def resolve_phone(ctx: CallContext, req: raw.functions.contacts.ResolvePhone):
    """Only the account itself and its contacts are found by phone number."""
    viewer = ctx.require_user()
    digits = re.sub(r"\D", "", req.phone)
    me = ctx.world.users[viewer]
    for user in ctx.world.users.values():
        same = user.phone is not None and re.sub(r"\D", "", user.phone) == digits
        if same and (user.id == viewer or user.id in me.contacts):
            users, _ = peers_tl(ctx.world, viewer, [user.id])
            return raw.types.contacts.ResolvedPeer(peer=peer_tl(user.id), chats=[], users=users)
    raise RpcError(400, "PHONE_NOT_OCCUPIED")


def _matches(query: str, names: list[str]) -> bool:
    """Every word of the query starts a word of one of the names (Telegram's prefix match)."""
    words = [w for name in names for w in re.findall(r"\w+", name.lower())]
    return all(any(w.startswith(q) for w in words) for q in re.findall(r"\w+", query.lower()))


def _names(target) -> list[str]:
    names = [target.title]
    if getattr(target, "username", None):
        names.append(target.username)
    return names


@handles(raw.functions.contacts.Search)
async def search(ctx: CallContext, req: raw.functions.contacts.Search):
    """my_results: the account's own chats and contacts; results: other public peers."""
    viewer = ctx.require_user()
    world = ctx.world
    if len(req.q.strip().lstrip("@")) < 1:
        raise RpcError(400, "QUERY_TOO_SHORT")
    limit = max(0, min(req.limit, 100))
    query = req.q.lstrip("@")
    me: User = world.users[viewer]
    mine, others = [], []
    candidates = [*world.users.values(), *world.channels.values(), *world.chats.values()]
    for target in candidates:
        if target.peer == viewer or not _matches(query, _names(target)):
            continue
        own = world.dialog(viewer, target.peer) is not None or (
            isinstance(target, User) and target.id in me.contacts
        )
        if own:
            mine.append(target.peer)
        elif getattr(target, "username", None):  # only public peers have a username
            others.append(target.peer)
    mine, others = mine[:limit], others[:limit]
    users, chats = peers_tl(world, viewer, mine + others)
    return raw.types.contacts.Found(
        my_results=[peer_tl(p) for p in mine],
        results=[peer_tl(p) for p in others],
        chats=chats,
        users=users,
    )
