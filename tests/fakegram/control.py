"""The control API of a running fakegram: HTTP + JSON on 127.0.0.1.

Changes the world and the faults while clients run (see README.md for every route).
Chats are named like tgscraper names them: a marked id (-100... channel, -id basic group,
user id for a private chat) or a username; a private chat or a basic group also needs
"account" (the account whose side of the chat is meant; for a group, default: its first
member account).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiohttp import web

from .rpc import RpcError
from .server import FakeTelegram
from .world.builder import PrivateChat, WorldBuilder
from .world.model import BasicGroup, Channel, Message, User, peer_kind

SERVER = web.AppKey("server", FakeTelegram)
BUILDER = web.AppKey("builder", WorldBuilder)

MEDIA_KINDS = ("photo", "document", "video", "round_video", "voice", "audio", "sticker", "gif")


class ControlError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ControlError as e:
        return web.json_response({"error": e.detail}, status=e.status)
    except (ValueError, TypeError, KeyError) as e:
        return web.json_response({"error": f"{type(e).__name__}: {e}"}, status=400)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as e:
        raise ControlError(400, f"the body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


# -- naming things ------------------------------------------------------------------------------


def find_peer(builder: WorldBuilder, ref: Any) -> User | Channel | BasicGroup:
    world = builder.world
    if isinstance(ref, str) and not ref.lstrip("-").isdigit():
        found = world.resolve_username(ref)
        if found is None:
            raise ControlError(404, f"no user or channel is called {ref!r}")
        return found
    try:
        peer = int(ref)
    except (TypeError, ValueError):
        raise ControlError(400, f"{ref!r} is neither a marked id nor a username") from None
    found = world.peer_object(peer)
    if found is None:
        raise ControlError(404, f"no {peer_kind(peer)} with id {peer}")
    return found


def find_chat(builder: WorldBuilder, ref: Any, account: Any = None) -> tuple[Any, int | None]:
    """(the chat as the builder takes it, the account whose copy of messages is meant)."""
    target = find_peer(builder, ref)
    if isinstance(target, Channel):
        return target, None
    owner = find_peer(builder, account) if account is not None else None
    if owner is not None and not (isinstance(owner, User) and owner.is_account):
        raise ControlError(400, f"{account!r} is not an account")
    if isinstance(target, BasicGroup):
        if owner is None:
            members = sorted(m for m in target.members if builder.world.users[m].is_account)
            if not members:
                raise ControlError(400, "no account is a member of this group")
            return target, members[0]
        return target, owner.id
    if owner is None:
        raise ControlError(400, 'a private chat needs "account" (whose chat with this user)')
    return PrivateChat(owner, target), owner.id


def find_message(builder: WorldBuilder, chat: Any, owner: int | None, message_id: int) -> Message:
    peer = chat.peer_for(owner) if isinstance(chat, PrivateChat) else chat.peer
    history = builder.world.history(owner or 0, peer)
    message = history.get(message_id)
    if message is None:
        raise ControlError(404, f"no message {message_id} in that chat")
    return message


def make_media(builder: WorldBuilder, spec: dict[str, Any] | None) -> Any:
    """{"type": "photo" | "document" | "video" | ... | "webpage", **builder arguments}."""
    if spec is None:
        return None
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in (*MEDIA_KINDS, "webpage"):
        raise ControlError(400, f"media type must be one of {[*MEDIA_KINDS, 'webpage']}")
    return getattr(builder, kind)(**spec)


def message_json(message: Message) -> dict[str, Any]:
    return {"id": message.id, "date": message.date, "text": message.text}


# -- world -------------------------------------------------------------------------------------


async def post_message(request: web.Request) -> web.Response:
    builder = request.app[BUILDER]
    body = await _body(request)
    chat, owner = find_chat(builder, request.match_info["chat"], body.get("account"))
    sender = find_peer(builder, body["sender"]) if "sender" in body else None
    reply_to = body.get("reply_to")
    message = builder.post(
        chat,
        body.get("text", ""),
        sender=sender,
        date=body.get("date"),
        media=make_media(builder, body.get("media")),
        reply_to=find_message(builder, chat, owner, reply_to) if reply_to else None,
        views=body.get("views"),
    )
    if owner is not None and message.owner != owner:
        message = next(c for c in message.all_copies() if c.owner == owner)
    return web.json_response(message_json(message), status=201)


async def edit_message(request: web.Request) -> web.Response:
    builder = request.app[BUILDER]
    body = await _body(request)
    chat, owner = find_chat(builder, request.match_info["chat"], body.get("account"))
    message = find_message(builder, chat, owner, int(request.match_info["id"]))
    options: dict[str, Any] = {"date": body.get("edit_date")}
    if "media" in body:
        options["media"] = make_media(builder, body["media"])
    builder.edit(message, body.get("text"), **options)
    return web.json_response(message_json(message))


async def delete_message(request: web.Request) -> web.Response:
    builder = request.app[BUILDER]
    account = request.query.get("account")
    chat, owner = find_chat(builder, request.match_info["chat"], account)
    builder.delete(find_message(builder, chat, owner, int(request.match_info["id"])))
    return web.json_response({"deleted": True})


async def get_world(request: web.Request) -> web.Response:
    return web.json_response(describe_world(request.app[SERVER].world))


def account_name(user: User) -> str:
    """The session (and tgscraper account) name of an account: its username or userID."""
    return user.username or f"user{user.id}"


def _chat_type(peer: Any) -> str:
    if isinstance(peer, Channel):
        return "supergroup" if peer.megagroup else "channel"
    if isinstance(peer, BasicGroup):
        return "group"
    return "bot" if peer.is_bot else "private"


def describe_world(world: Any) -> dict[str, Any]:
    """Accounts and their dialogs: a channel or group once (with every account in it), a
    private chat once per account (the same user id names a different chat for each)."""
    accounts = []
    dialogs: dict[tuple[int, int | None], dict[str, Any]] = {}
    for user in world.accounts():
        name = account_name(user)
        accounts.append(
            {
                "name": name,
                "id": user.id,
                "username": user.username,
                "phone": user.phone,
                "dc_id": user.dc_id,
                "password": user.password,
            }
        )
        for peer in world.state(user.id).dialogs:
            chat = world.peer_object(peer)
            private = isinstance(chat, User)
            entry = dialogs.setdefault(
                (peer, user.id if private else None),
                {
                    "id": peer,
                    "title": "Saved Messages" if peer == user.id else chat.title,
                    "type": _chat_type(chat),
                    "messages": 0,
                    "accounts": [],
                },
            )
            entry["messages"] = max(entry["messages"], len(world.history(user.id, peer)))
            entry["accounts"].append(name)
    return {"accounts": accounts, "dialogs": list(dialogs.values())}


# -- faults and observation ---------------------------------------------------------------------


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[SERVER].faults.describe())


async def clear_faults(request: web.Request) -> web.Response:
    request.app[SERVER].faults.clear()
    return web.json_response(request.app[SERVER].faults.describe())


async def set_latency(request: web.Request) -> web.Response:
    body = await _body(request)
    request.app[SERVER].faults.latency(
        body.get("method", "*"), float(body["seconds"]), float(body.get("jitter", 0))
    )
    return web.json_response(request.app[SERVER].faults.describe())


async def set_flood(request: web.Request) -> web.Response:
    body = await _body(request)
    faults = request.app[SERVER].faults
    if body.get("refill_seconds") is None:
        faults.no_flood(body.get("method", "*"))
    else:
        faults.flood(
            body.get("method", "*"),
            burst=int(body.get("burst", 1)),
            refill_seconds=float(body["refill_seconds"]),
        )
    return web.json_response(faults.describe())


async def inject_error(request: web.Request) -> web.Response:
    body = await _body(request)
    request.app[SERVER].faults.fail(
        body.get("method", "*"),
        int(body.get("code", 500)),
        str(body.get("message", "RPC_CALL_FAIL")),
        times=int(body.get("times", 1)),
    )
    return web.json_response(request.app[SERVER].faults.describe())


async def set_drop(request: web.Request) -> web.Response:
    body = await _body(request)
    request.app[SERVER].faults.drop_connection(
        after=int(body.get("after", 1)),
        method=body.get("method", "*"),
        mid_response=bool(body.get("mid_response", False)),
    )
    return web.json_response(request.app[SERVER].faults.describe())


async def set_byte_rate(request: web.Request) -> web.Response:
    body = await _body(request)
    rate = body.get("bytes_per_second")
    request.app[SERVER].faults.byte_rate(
        body.get("method", "upload.getFile"), float(rate) if rate else None
    )
    return web.json_response(request.app[SERVER].faults.describe())


async def drop_connections(request: web.Request) -> web.Response:
    body = await _body(request)
    dropped = request.app[SERVER].drop_connections(now=bool(body.get("now", False)))
    return web.json_response({"dropped": dropped})


async def restart(request: web.Request) -> web.Response:
    await request.app[SERVER].restart()
    return web.json_response({"restarted": True})


async def log_out(request: web.Request) -> web.Response:
    builder = request.app[BUILDER]
    account = find_peer(builder, request.match_info["account"])
    if not (isinstance(account, User) and account.is_account):
        raise ControlError(400, f"{request.match_info['account']!r} is not an account")
    return web.json_response({"logged_out": request.app[SERVER].log_out(account.id)})


async def accept_login(request: web.Request) -> web.Response:
    """The account's "phone" scans a QR code: body {"qr_url": "tg://login?token=..."}."""
    from .methods.login import accept_login_token

    builder = request.app[BUILDER]
    account = find_peer(builder, request.match_info["account"])
    if not (isinstance(account, User) and account.is_account):
        raise ControlError(400, f"{request.match_info['account']!r} is not an account")
    body = await _body(request)
    query = parse_qs(urlparse(str(body.get("qr_url", ""))).query)
    if not query.get("token"):
        raise ControlError(400, 'send {"qr_url": "tg://login?token=..."}')
    token = base64.urlsafe_b64decode(query["token"][0] + "=" * (-len(query["token"][0]) % 4))
    try:
        accept_login_token(request.app[SERVER], token, account.id)
    except RpcError as exc:
        raise ControlError(400, exc.message) from None
    return web.json_response({"accepted": True, "account": account_name(account)})


async def get_calls(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    return web.json_response({"calls": server.calls, "unknown": server.unknown_calls})


async def reset_calls(request: web.Request) -> web.Response:
    request.app[SERVER].reset_calls()
    return web.json_response({"calls": {}, "unknown": {}})


def create_control_app(server: FakeTelegram) -> web.Application:
    app = web.Application(middlewares=[json_errors])
    app[SERVER] = server
    app[BUILDER] = WorldBuilder(server.world)
    app.router.add_get("/world", get_world)
    app.router.add_post("/chats/{chat}/messages", post_message)
    app.router.add_patch("/chats/{chat}/messages/{id:-?\\d+}", edit_message)
    app.router.add_delete("/chats/{chat}/messages/{id:-?\\d+}", delete_message)
    app.router.add_get("/faults", get_faults)
    app.router.add_delete("/faults", clear_faults)
    app.router.add_post("/faults/latency", set_latency)
    app.router.add_post("/faults/flood", set_flood)
    app.router.add_post("/faults/error", inject_error)
    app.router.add_post("/faults/drop", set_drop)
    app.router.add_post("/faults/byte-rate", set_byte_rate)
    app.router.add_post("/connections/drop", drop_connections)
    app.router.add_post("/restart", restart)
    app.router.add_post("/accounts/{account}/log-out", log_out)
    app.router.add_post("/accounts/{account}/accept-login", accept_login)
    app.router.add_get("/calls", get_calls)
    app.router.add_delete("/calls", reset_calls)
    return app


async def start_control(server: FakeTelegram, port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve the control API on 127.0.0.1:port (0: any); returns the runner and the port."""
    runner = web.AppRunner(create_control_app(server), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, runner.addresses[0][1]
