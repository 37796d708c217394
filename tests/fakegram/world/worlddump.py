"""Write a world as a JSON world file (the format `worldfile.load_world` reads).

Saving keeps ids: channel messages carry "id", messages of private chats and basic
groups carry "ids" (one per account box), files carry their id and seed, so a saved and
reloaded world answers the client exactly like the original.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .model import (
    Document,
    Entity,
    History,
    Message,
    Photo,
    User,
    WebPage,
    World,
    peer_kind,
)
from .worldfile import FORMAT_VERSION


class _Dumper:
    def __init__(self, world: World) -> None:
        self.world = world
        self.refs: dict[int, str] = {}  # marked peer id -> ref
        for user in sorted(world.users.values(), key=lambda u: u.id):
            self.refs[user.id] = user.username or f"user{user.id}"
        for channel in world.channels.values():
            self.refs[channel.peer] = channel.username or f"channel{channel.id}"
        for chat in world.chats.values():
            self.refs[chat.peer] = f"group{chat.id}"
        #: refs of private chats per (account, peer)
        self.private_refs: dict[tuple[int, int], str] = {}
        #: refs given to messages that others name (replies, pins), by id(Message)
        self.message_refs: dict[int, str] = {}

    def dump(self) -> dict[str, Any]:
        chats = self._channels() + self._groups() + self._privates()
        return {
            "version": FORMAT_VERSION,
            "users": [self._user(u) for u in sorted(self.world.users.values(), key=lambda u: u.id)],
            "media": {f"f{f.id}": self._file(f) for f in self.world.files.values()},
            "chats": chats,
            "dialogs": {
                self.refs[account.id]: self._dialogs(account) for account in self.world.accounts()
            },
        }

    # --- peers

    def _user(self, user: User) -> dict[str, Any]:
        spec: dict[str, Any] = {"ref": self.refs[user.id], "id": user.id}
        if user.is_account:
            spec.update(
                account=True, dc_id=user.dc_id, password=user.password, hint=user.password_hint
            )
        spec.update(
            bot=user.is_bot,
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            phone=user.phone,
            about=user.about,
            verified=user.verified,
            premium=user.premium,
            contacts=[self.refs[c] for c in sorted(user.contacts)],
        )
        return {k: v for k, v in spec.items() if v not in (None, False, "", [])}

    def _channels(self) -> list[dict[str, Any]]:
        specs = []
        for channel in self.world.channels.values():
            spec = {
                "ref": self.refs[channel.peer],
                "type": "supergroup" if channel.megagroup else "channel",
                "id": channel.id,
                "title": channel.title,
                "username": channel.username,
                "date": channel.date,
                "creator": self.refs.get(channel.creator_id or 0),
                "members": [self.refs[m] for m in sorted(channel.members)],
                "about": channel.about,
                "signatures": channel.signatures,
                "verified": channel.verified,
            }
            spec = {k: v for k, v in spec.items() if v not in (None, False, "")}
            spec["messages"] = self._messages(channel.history, None)
            specs.append(spec)
        return specs

    def _groups(self) -> list[dict[str, Any]]:
        specs = []
        for chat in self.world.chats.values():
            spec: dict[str, Any] = {
                "ref": self.refs[chat.peer],
                "type": "group",
                "id": chat.id,
                "title": chat.title,
                "date": chat.date,
                "members": [self.refs[m] for m in sorted(chat.members)],
            }
            if chat.creator_id:
                spec["creator"] = self.refs[chat.creator_id]
            if chat.about:
                spec["about"] = chat.about
            holder = next(
                (s for s in self._states() if chat.peer in s.boxes and s.user_id in chat.members),
                None,
            )
            history = holder.boxes[chat.peer] if holder else History()
            spec["messages"] = self._messages(history, holder.user_id if holder else None)
            specs.append(spec)
        return specs

    def _states(self):
        return [self.world.account_states[k] for k in sorted(self.world.account_states)]

    def _privates(self) -> list[dict[str, Any]]:
        specs = []
        for state in self._states():
            for peer, history in state.boxes.items():
                if peer_kind(peer) != "user" or (peer, state.user_id) in self.private_refs:
                    continue
                me, other = self.refs[state.user_id], self.refs[peer]
                if peer == state.user_id:
                    ref = f"saved-{me}"
                    spec: dict[str, Any] = {"ref": ref, "type": "saved", "account": me}
                else:
                    ref = f"dm-{me}-{other}"
                    spec = {"ref": ref, "type": "private", "between": [me, other]}
                self.private_refs[(state.user_id, peer)] = ref
                self.private_refs[(peer, state.user_id)] = ref
                spec["messages"] = self._messages(history, state.user_id)
                specs.append(spec)
        return specs

    # --- messages

    def _messages(self, history: History, owner: int | None) -> list[dict[str, Any]]:
        for message in history.messages:  # replied-to messages get a ref first
            if message.reply_to is not None:
                target = history.get(message.reply_to.msg_id)
                if target is not None:
                    self._message_ref(target)
        return [self._message(m, history, owner) for m in history.messages]

    def _message_ref(self, message: Message) -> str:
        ref = self.message_refs.get(id(message))
        if ref is None:
            ref = self.message_refs[id(message)] = f"m{len(self.message_refs) + 1}"
            for copy in message.copies:
                self.message_refs[id(copy)] = ref
        return ref

    def _message(self, m: Message, history: History, owner: int | None) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if id(m) in self.message_refs:
            spec["ref"] = self.message_refs[id(m)]
        if owner is None:
            spec["id"] = m.id
        else:
            spec["ids"] = {self.refs[c.owner]: c.id for c in m.all_copies() if c.owner}
        spec["date"] = m.date
        if m.from_id is not None:
            spec["sender"] = self.refs[m.from_id]
        if m.text:
            spec["text"] = m.text
        if m.entities:
            spec["entities"] = [self._entity(e) for e in m.entities]
        if m.media is not None:
            spec["media"] = self._media_value(m.media)
        reply_to = m.reply_to
        if reply_to is not None:
            target = history.get(reply_to.msg_id)
            spec["reply_to"] = self._message_ref(target) if target else reply_to.msg_id
            if reply_to.quote_text:
                spec["quote"] = reply_to.quote_text
        if m.fwd is not None:
            spec["forward"] = self._forward(m)
        if m.action is not None:
            spec["service"] = m.action.kind
            if m.action.title:
                spec["title"] = m.action.title
            if m.action.users:
                spec["users"] = [self.refs[u] for u in m.action.users]
        for key in ("views", "forwards", "replies", "post_author", "edit_date", "grouped_id"):
            if getattr(m, key) is not None:
                spec[key] = getattr(m, key)
        for key in ("pinned", "silent", "mentioned"):
            if getattr(m, key):
                spec[key] = True
        return spec

    def _entity(self, entity: Entity) -> dict[str, Any]:
        spec = {"type": entity.kind, "offset": entity.offset, "length": entity.length}
        if entity.url:
            spec["url"] = entity.url
        if entity.user_id:
            spec["user"] = self.refs[entity.user_id]
        if entity.language:
            spec["language"] = entity.language
        return spec

    def _forward(self, m: Message) -> dict[str, Any]:
        fwd = m.fwd
        spec: dict[str, Any] = {"date": fwd.date}
        if fwd.from_name:
            spec["hidden_name"] = fwd.from_name
        if fwd.from_peer is not None and fwd.from_peer > 0:
            spec["from"] = self.refs[fwd.from_peer]
        elif fwd.from_peer is not None:  # a chat may come later in the file: name it by id
            spec["from_id"] = fwd.from_peer
        if fwd.channel_post:
            spec["channel_post"] = fwd.channel_post
        if fwd.post_author:
            spec["post_author"] = fwd.post_author
        return spec

    # --- media

    def _media_value(self, media) -> str | dict[str, Any]:
        if isinstance(media, WebPage):
            spec = {
                "type": "webpage",
                "url": media.url,
                "title": media.title,
                "description": media.description,
                "site_name": media.site_name,
            }
            if media.photo is not None:
                spec["photo"] = f"f{media.photo.id}"
            return {k: v for k, v in spec.items() if v is not None}
        return f"f{media.id}"

    def _file(self, file: Photo | Document) -> dict[str, Any]:
        if isinstance(file, Photo):
            largest = file.sizes[-1]
            return {
                "type": "photo",
                "id": file.id,
                "size": largest.size,
                "w": largest.w,
                "h": largest.h,
                "dc_id": file.dc_id,
                "seed": file.seed,
                "date": file.date,
            }
        spec = {
            "type": file.kind,
            "id": file.id,
            "size": file.size,
            "dc_id": file.dc_id,
            "seed": file.seed,
            "date": file.date,
            "mime_type": file.mime_type,
            "file_name": file.file_name,
            "duration": file.duration,
            "w": file.w,
            "h": file.h,
            "title": file.title,
            "performer": file.performer,
            "emoji": file.emoji,
            "thumb": bool(file.thumbs),
        }
        if file.kind == "round":
            spec["length"] = spec.pop("w")
            spec.pop("h")
        allowed = _FACTORY_KEYS[file.kind]
        return {k: v for k, v in spec.items() if k in allowed}

    # --- dialogs

    def _chat_ref(self, account: int, peer: int) -> str | None:
        """The ref of the chat the account names `peer` (None: a chat with no messages)."""
        if peer_kind(peer) == "user":
            return self.private_refs.get((account, peer))
        return self.refs.get(peer)

    def _dialogs(self, account: User) -> dict[str, Any]:
        state = self.world.state(account.id)
        refs = {p: self._chat_ref(account.id, p) for p in state.dialogs}
        dialogs = {refs[p]: d for p, d in state.dialogs.items() if refs[p] is not None}
        pinned = [p for folder in (0, 1) for p in state.pinned.get(folder, []) if refs.get(p)]
        spec: dict[str, Any] = {
            "pinned": [refs[p] for p in pinned],
            "archived": [ref for ref, d in dialogs.items() if d.folder_id == 1],
            "muted": [ref for ref, d in dialogs.items() if d.muted],
            "unread": {
                ref: n
                for ref, d in dialogs.items()
                if (n := self.world.unread_count(account.id, d))
            },
            "folders": [self._folder(account.id, f) for f in state.filters],
        }
        return {k: v for k, v in spec.items() if v}

    def _folder(self, account: int, folder) -> dict[str, Any]:
        spec: dict[str, Any] = {"id": folder.id, "title": folder.title}
        if folder.emoticon:
            spec["emoticon"] = folder.emoticon
        for key, peers in (
            ("include", folder.include_peers),
            ("exclude", folder.exclude_peers),
            ("pinned", folder.pinned_peers),
        ):
            refs = [ref for p in peers if (ref := self._chat_ref(account, p))]
            if refs:
                spec[key] = refs
        for flag in (
            "contacts",
            "non_contacts",
            "groups",
            "broadcasts",
            "bots",
            "exclude_muted",
            "exclude_read",
            "exclude_archived",
        ):
            if getattr(folder, flag):
                spec[flag] = True
        return spec


_COMMON = {"type", "id", "size", "dc_id", "seed", "date"}
_FACTORY_KEYS = {
    "document": _COMMON
    | {"mime_type", "file_name", "duration", "w", "h", "title", "performer", "emoji", "thumb"},
    "video": _COMMON | {"duration", "w", "h", "file_name"},
    "round": _COMMON | {"duration", "length"},
    "voice": _COMMON | {"duration"},
    "audio": _COMMON | {"duration", "title", "performer", "file_name"},
    "sticker": _COMMON | {"emoji"},
    "gif": _COMMON | {"duration", "w", "h"},
}


def world_to_dict(world: World) -> dict[str, Any]:
    return _Dumper(world).dump()


def save_world(world: World, path: str | Path) -> None:
    """Write the world as a JSON world file (UTF-8, readable)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(world_to_dict(world), f, ensure_ascii=False, indent=1)
