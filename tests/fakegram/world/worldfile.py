"""Load a world from JSON (the format is documented in FORMAT.md beside this module).

    world = load_world("tests/data/world.json")     # or world_from_dict({...})

Everything goes through WorldBuilder, so a loaded world is exactly what the same builder
calls would make. Names ("refs") tie the file together: users, chats, media and
messages get a ref, and later entries name earlier ones by it. Unknown keys are errors,
so a typo never silently changes a world. `worlddump.save_world` writes this format.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .builder import Chat, PrivateChat, WorldBuilder
from .model import Action, Channel, Entity, Forward, Media, Message, User, World

FORMAT_VERSION = 1


class WorldFileError(ValueError):
    """The world file is not valid (the message says where and why)."""


def parse_date(value: int | float | str | None) -> int | None:
    """Unix seconds, or an ISO 8601 string ("2024-01-31T12:00:00Z"; naive means UTC)."""
    if value is None or isinstance(value, (int, float)):
        return None if value is None else int(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return int((moment - datetime(1970, 1, 1)).total_seconds())
    return int(moment.timestamp())


def _take(spec: dict, where: str, allowed: set[str]) -> dict:
    unknown = set(spec) - allowed
    if unknown:
        raise WorldFileError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    return spec


def _keys(names: str) -> frozenset[str]:
    return frozenset(names.split())


USER_KEYS = _keys(
    "ref id account bot username first_name last_name phone password hint dc_id "
    "about verified premium contacts"
)
CHAT_KEYS = _keys(
    "ref type id title username date creator members about signatures verified "
    "between account messages"
)
MESSAGE_KEYS = _keys(
    "ref id ids text date sender entities media album reply_to quote forward views "
    "forwards replies post_author edit_date pinned silent mentioned service title "
    "users grouped_id"
)
FILL_KEYS = _keys("fill start step text sender views")
MEDIA_KEYS = _keys(
    "type id size w h dc_id seed date mime_type file_name duration title performer "
    "emoji thumb url description site_name photo length"
)
DIALOG_KEYS = _keys("pinned archived muted unread folders")
FOLDER_KEYS = _keys(
    "id title emoticon include exclude pinned contacts non_contacts groups "
    "broadcasts bots exclude_muted exclude_read exclude_archived"
)


class _Loader:
    def __init__(self, data: dict) -> None:
        _take(data, "world", {"version", "now", "users", "media", "chats", "dialogs"})
        if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise WorldFileError(f"world: version {data['version']} (this fake reads 1)")
        self.data = data
        self.w = WorldBuilder(now=parse_date(data.get("now")))
        self.users: dict[str, User] = {}
        self.chats: dict[str, Chat] = {}
        self.media: dict[str, Media] = {}
        self.messages: dict[str, Message] = {}

    def load(self) -> World:
        for spec in self.data.get("users", []):
            self._user(spec)
        for spec in self.data.get("users", []):
            if spec.get("contacts"):
                owner = self.users[spec.get("ref") or spec["username"]]
                self.w.contact(owner, *(self._user_ref(r) for r in spec["contacts"]))
        for ref, spec in self.data.get("media", {}).items():
            self.media[ref] = self._make_media(spec, f"media {ref!r}")
        for spec in self.data.get("chats", []):
            self._chat(spec)
        read_up = {(a, ref): 0 for a in self.users for ref in self.chats}
        for account_ref, spec in self.data.get("dialogs", {}).items():
            read_up.update(self._dialogs(account_ref, spec))
        self._mark_read(read_up)
        return self.w.world

    # --- refs

    def _user_ref(self, ref: str) -> User:
        try:
            return self.users[ref]
        except KeyError:
            raise WorldFileError(f"unknown user ref {ref!r}") from None

    def _chat_ref(self, ref: str) -> Chat:
        try:
            return self.chats[ref]
        except KeyError:
            raise WorldFileError(f"unknown chat ref {ref!r}") from None

    def _message_ref(self, ref: str) -> Message:
        try:
            return self.messages[ref]
        except KeyError:
            raise WorldFileError(f"unknown message ref {ref!r} (define it first)") from None

    def _peer_ref(self, ref: str) -> User | Chat:
        return self.users[ref] if ref in self.users else self._chat_ref(ref)

    # --- users and chats

    def _user(self, spec: dict) -> None:
        _take(spec, f"user {spec.get('ref')!r}", USER_KEYS)
        ref = spec.get("ref") or spec.get("username")
        if not ref:
            raise WorldFileError(f"user {spec}: needs a ref or a username")
        common = {
            "first_name": spec.get("first_name"),
            "last_name": spec.get("last_name", ""),
            "phone": spec.get("phone"),
            "id": spec.get("id"),
        }
        if spec.get("account"):
            user = self.w.account(
                spec.get("username"),
                password=spec.get("password"),
                hint=spec.get("hint"),
                dc_id=spec.get("dc_id", 2),
                premium=spec.get("premium", False),
                **common,
            )
        else:
            user = self.w.user(
                spec.get("username"),
                bot=spec.get("bot", False),
                about=spec.get("about", ""),
                verified=spec.get("verified", False),
                **common,
            )
        user.about = spec.get("about", user.about)
        self.users[ref] = user

    def _chat(self, spec: dict) -> None:
        where = f"chat {spec.get('ref') or spec.get('title')!r}"
        _take(spec, where, CHAT_KEYS)
        kind = spec.get("type")
        ref = spec.get("ref") or spec.get("username")
        if not ref:
            raise WorldFileError(f"{where}: needs a ref or a username")
        creator = self._user_ref(spec["creator"]) if spec.get("creator") else None
        members = [self._user_ref(r) for r in spec.get("members", [])]
        date = parse_date(spec.get("date"))
        chat: Chat
        if kind in ("channel", "supergroup"):
            chat = self.w.channel(
                spec["title"],
                username=spec.get("username"),
                members=members,
                creator=creator,
                id=spec.get("id"),
                date=date,
                about=spec.get("about", ""),
                signatures=spec.get("signatures", False),
                megagroup=kind == "supergroup",
                verified=spec.get("verified", False),
            )
        elif kind == "group":
            chat = self.w.group(
                spec["title"], members=members, creator=creator, id=spec.get("id"), date=date
            )
            chat.about = spec.get("about", "")
        elif kind == "private":
            a, b = (self._user_ref(r) for r in spec["between"])
            chat = self.w.private(a, b)
        elif kind == "saved":
            chat = self.w.saved(self._user_ref(spec["account"]))
        else:
            raise WorldFileError(
                f"{where}: type must be channel, supergroup, group, private or saved, not {kind!r}"
            )
        self.chats[ref] = chat
        for index, item in enumerate(spec.get("messages", [])):
            self._message(chat, item, f"{where} message #{index}")

    # --- messages

    def _message(self, chat: Chat, spec: dict, where: str) -> None:
        if "fill" in spec:
            _take(spec, where, FILL_KEYS)
            self.w.fill(
                chat,
                spec["fill"],
                start=parse_date(spec.get("start")),
                step=spec.get("step", 1.0),
                text=spec.get("text", "Message {i}"),
                sender=self._user_ref(spec["sender"]) if spec.get("sender") else None,
                views=spec.get("views"),
            )
            return
        _take(spec, where, MESSAGE_KEYS)
        sender = self._sender(spec.get("sender"))
        common: dict[str, Any] = {
            "sender": sender,
            "date": parse_date(spec.get("date")),
            "silent": spec.get("silent", False),
        }
        if "album" in spec:
            media = [self._media_value(m, where) for m in spec["album"]]
            self.w.album(chat, media, spec.get("text", ""), **common)
            return
        if "service" in spec:
            self._service(chat, spec, common, where)
            return
        ids = self._ids(spec)
        message = self.w.post(
            chat,
            spec.get("text", ""),
            entities=[self._entity(e, where) for e in spec.get("entities", [])],
            media=self._media_value(spec["media"], where) if spec.get("media") else None,
            reply_to=self._reply(spec.get("reply_to")),
            quote=spec.get("quote"),
            fwd=self._forward(spec["forward"], where) if spec.get("forward") else None,
            views=spec.get("views"),
            forwards=spec.get("forwards"),
            replies=spec.get("replies"),
            post_author=spec.get("post_author"),
            edit_date=parse_date(spec.get("edit_date")),
            pinned=spec.get("pinned", False),
            mentioned=spec.get("mentioned", False),
            grouped_id=spec.get("grouped_id"),
            ids=ids,
            **common,
        )
        if spec.get("ref"):
            self.messages[spec["ref"]] = message

    def _sender(self, ref: str | None) -> User | Channel | None:
        if ref is None:
            return None
        target = self._peer_ref(ref)
        if not isinstance(target, (User, Channel)):
            raise WorldFileError(f"sender {ref!r} must be a user or a channel")
        return target

    def _ids(self, spec: dict) -> dict[int | None, int] | None:
        if "id" in spec:
            return {None: spec["id"]}
        if "ids" in spec:
            return {self._user_ref(ref).id: value for ref, value in spec["ids"].items()}
        return None

    def _reply(self, value) -> Message | int | None:
        if value is None or isinstance(value, int):
            return value
        return self._message_ref(value)

    def _service(self, chat: Chat, spec: dict, common: dict, where: str) -> None:
        kind = spec["service"]
        if kind == "pin":
            target = self._reply(spec.get("reply_to"))
            if not isinstance(target, Message):
                raise WorldFileError(f"{where}: a pin names the pinned message by ref")
            message = self.w.pin(
                chat, target, sender=common["sender"], date=common["date"], ids=self._ids(spec)
            )
        else:
            action = Action(
                kind,
                title=spec.get("title"),
                users=[self._user_ref(r).id for r in spec.get("users", [])],
            )
            message = self.w.post(
                chat,
                action=action,
                reply_to=self._reply(spec.get("reply_to")),
                ids=self._ids(spec),
                **common,
            )
        if spec.get("ref"):
            self.messages[spec["ref"]] = message

    def _entity(self, spec: dict, where: str) -> Entity:
        _take(spec, f"{where} entity", {"type", "offset", "length", "url", "user", "language"})
        return Entity(
            spec["type"],
            spec["offset"],
            spec["length"],
            url=spec.get("url"),
            user_id=self._user_ref(spec["user"]).id if spec.get("user") else None,
            language=spec.get("language"),
        )

    def _forward(self, spec: dict, where: str) -> Forward:
        _take(
            spec,
            f"{where} forward",
            {"message", "from", "from_id", "hidden_name", "date", "channel_post", "post_author"},
        )
        if spec.get("message"):
            origin = self._message_ref(spec["message"])
            if origin.post:
                return Forward(
                    origin.date,
                    from_peer=origin.peer,
                    channel_post=origin.id,
                    post_author=origin.post_author,
                )
            return Forward(origin.date, from_peer=origin.from_id)
        date = parse_date(spec.get("date")) or 0
        if spec.get("hidden_name"):
            return Forward(date, from_name=spec["hidden_name"])
        if "from_id" in spec:  # a marked peer id (what a saved world writes for chats)
            return Forward(
                date,
                from_peer=spec["from_id"],
                channel_post=spec.get("channel_post"),
                post_author=spec.get("post_author"),
            )
        source = self._peer_ref(spec["from"])
        return Forward(
            date,
            from_peer=source.peer,
            channel_post=spec.get("channel_post"),
            post_author=spec.get("post_author"),
        )

    # --- media

    def _media_value(self, value, where: str) -> Media:
        if isinstance(value, str):
            if value not in self.media:
                raise WorldFileError(f"{where}: unknown media ref {value!r}")
            return self.media[value]
        return self._make_media(value, where)

    def _make_media(self, spec: dict, where: str) -> Media:
        _take(spec, where, MEDIA_KEYS)
        spec = dict(spec)
        kind = spec.pop("type", None)
        if "date" in spec:
            spec["date"] = parse_date(spec["date"])
        if kind == "photo":
            return self.w.photo(**spec)
        if kind == "webpage":
            photo = spec.pop("photo", None)
            url = spec.pop("url")
            return self.w.webpage(
                url, photo=self._media_value(photo, where) if photo else None, **spec
            )
        factories = {
            "video": self.w.video,
            "round": self.w.round_video,
            "voice": self.w.voice,
            "audio": self.w.audio,
            "sticker": self.w.sticker,
            "gif": self.w.gif,
        }
        if kind in factories:
            return factories[kind](**spec)
        if kind == "document":
            return self.w.document(**spec)
        raise WorldFileError(f"{where}: unknown media type {kind!r}")

    # --- dialogs

    def _dialogs(self, account_ref: str, spec: dict) -> dict[tuple[str, str], int]:
        where = f"dialogs of {account_ref!r}"
        _take(spec, where, DIALOG_KEYS)
        account = self._user_ref(account_ref)
        for ref in spec.get("archived", []):
            self.w.archive(account, self._chat_ref(ref))
        for ref in spec.get("pinned", []):
            self.w.pin_dialog(account, self._chat_ref(ref))
        for ref in spec.get("muted", []):
            self.w.mute(account, self._chat_ref(ref))
        for folder in spec.get("folders", []):
            _take(folder, f"{where} folder {folder.get('title')!r}", FOLDER_KEYS)
            folder = dict(folder)
            title = folder.pop("title")
            self.w.folder(
                account,
                title,
                emoticon=folder.pop("emoticon", None),
                include=[self._chat_ref(r) for r in folder.pop("include", [])],
                exclude=[self._chat_ref(r) for r in folder.pop("exclude", [])],
                pinned=[self._chat_ref(r) for r in folder.pop("pinned", [])],
                id=folder.pop("id", None),
                **folder,
            )
        return {(account_ref, ref): count for ref, count in spec.get("unread", {}).items()}

    def _mark_read(self, unread: dict[tuple[str, str], int]) -> None:
        """Every dialog is read except the `unread` counts the file gives."""
        for (account_ref, chat_ref), count in unread.items():
            account, chat = self.users[account_ref], self.chats.get(chat_ref)
            if chat is None or not account.is_account:
                continue
            if isinstance(chat, PrivateChat):
                if account.id not in (chat.a.id, chat.b.id):
                    continue
                peer = chat.peer_for(account.id)
            else:
                peer = chat.peer
            if peer in self.w.world.state(account.id).dialogs:
                self.w.read(account, chat, unread=count)


def world_from_dict(data: dict) -> World:
    return _Loader(data).load()


def load_world(path: str | Path) -> World:
    """Read a JSON world file."""
    with open(path, encoding="utf-8") as f:
        return world_from_dict(json.load(f))
