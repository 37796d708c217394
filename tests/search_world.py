"""A deterministic fakegram world for the search and dialog tests: about 200 dialogs of
every type (channels, supergroups, basic groups, contacts, strangers, bots, Saved
Messages, Telegram's 777000), archived and muted ones, unread counts, custom folders,
a channel with 600 "needle" posts and needles elsewhere (for > 500 global results), and
a team room with senders, media and day-edge dates (per-chat search).

``Expected`` records what each dialog should look like through the API, computed while
the world is built (the tests' oracle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.model import User

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
HOUR = 3600
WORDS = [
    "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India",
    "Juliet", "Kilo", "Lima", "Mike", "November", "Oscar", "Papa", "Quebec", "Romeo",
    "Sierra", "Tango", "Uniform", "Victor", "Whiskey", "Xray", "Yankee", "Zulu",
]  # fmt: skip
NEEDLE_POSTS = 600
#: needles outside the firehose channel: per chat, all in the same seconds (ties)
NEEDLES_ELSEWHERE = 30


def ts(text: str) -> int:
    """'2023-11-20 23:59:59' (UTC) -> Unix seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@dataclass
class Expected:
    id: int
    type: str
    title: str
    username: str | None = None
    is_verified: bool = False
    is_creator: bool = False
    is_archived: bool = False
    participants_count: int | None = None
    last_message_date: int = 0
    unread_count: int = 0
    is_contact: bool = False
    is_muted: bool = False
    folder_ids: list[int] = field(default_factory=list)


@dataclass
class SearchWorld:
    builder: WorldBuilder
    alice: User
    bob: User
    carol: User
    dialogs: dict[int, Expected] = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)
    #: the chats of interest by name
    chats: dict[str, object] = field(default_factory=dict)
    #: ids (Bot-API) of the dialogs with needles, and how many each holds
    needle_counts: dict[int, int] = field(default_factory=dict)

    @property
    def world(self):
        return self.builder.world


class _Builder:
    def __init__(self) -> None:
        w = self.w = WorldBuilder(now=T0)
        self.sw = SearchWorld(
            w,
            w.account("alice", "Alice", "Smith"),
            w.account("bob", "Bob", "Builder"),
            w.user("carol_w", "Carol", "White"),
        )
        self.clock = T0 + HOUR
        self.index = 0

    def next_date(self) -> int:
        self.clock += HOUR
        return self.clock

    def add(self, chat, expected: Expected, *, messages: int = 1, sender=None) -> Expected:
        """Post `messages` messages (the last one defines last_message_date), apply the
        index-based archive/mute/unread pattern, and record the expectation."""
        w, sw, alice = self.w, self.sw, self.sw.alice
        i = self.index
        self.index += 1
        for n in range(messages):
            date = self.next_date()
            w.post(chat, f"{expected.title} says hi {n}", sender=sender, date=date)
            expected.last_message_date = date
        unread = min(i % 4, messages)
        if expected.type != "saved":
            w.read(alice, chat, unread=unread)
            expected.unread_count = unread
        if i % 9 == 4:
            w.archive(alice, chat)
            expected.is_archived = True
        if i % 11 == 3:
            w.mute(alice, chat)
            expected.is_muted = True
        sw.dialogs[expected.id] = expected
        return expected

    def build(self) -> SearchWorld:
        w, sw = self.w, self.sw
        alice, bob = sw.alice, sw.bob
        contacts = [w.user(f"friend{i:02d}", WORDS[i], "Friend") for i in range(20)]
        strangers = [w.user(None, WORDS[i + 3], f"Stranger{i:02d}") for i in range(20)]
        petrov = w.user("ivan_petrov", "Ivan", "Petrov")
        w.contact(alice, *contacts, bob)
        pool = [*contacts, *strangers]

        def members(i: int) -> list[User]:
            return [alice, *pool[: i % 37]]

        for i in range(60):  # broadcast channels
            creator = alice if i % 5 == 0 else None
            username = f"chan_{WORDS[i % 26].lower()}{i:02d}" if i % 2 == 0 else None
            chat = w.channel(
                f"{WORDS[i % 26]} Channel {i:02d}",
                username=username,
                members=members(i) if creator is None else members(i)[1:],
                creator=creator,
                verified=i % 7 == 0,
                date=T0,
            )
            self.add(chat, self._chat(chat, "channel", creator, i), messages=1 + i % 4)
        for i in range(40):  # supergroups
            creator = alice if i % 5 == 1 else None
            chat = w.supergroup(
                f"{WORDS[(i + 7) % 26]} Group {i:02d}",
                username=f"sg_{WORDS[i % 26].lower()}{i:02d}" if i % 3 == 0 else None,
                members=members(i + 5) if creator is None else members(i + 5)[1:],
                creator=creator,
                verified=i % 13 == 0,
                date=T0,
            )
            self.add(chat, self._chat(chat, "supergroup", creator, i + 5), messages=1 + i % 3)
        for i in range(30):  # basic groups
            creator = alice if i % 5 == 2 else None
            chat = w.group(
                f"{WORDS[(i + 13) % 26]} Basic {i:02d}",
                members=members(i + 2) if creator is None else members(i + 2)[1:],
                creator=creator,
                date=T0,
            )
            self.add(chat, self._chat(chat, "group", creator, i + 2), messages=1 + i % 2)
        for user in [*contacts, *strangers, petrov]:
            contact = user in contacts
            self._private(user, "user", contact=contact, messages=1 + user.id % 3)
        for i in range(12):
            bot = w.bot(f"helper{i:02d}_bot", f"Helper {WORDS[i]}", verified=i % 4 == 0)
            self._private(bot, "bot", messages=1)
        self._private(bob, "user", contact=True, messages=2)
        telegram = w.user("telegram", "Telegram", id=777000, verified=True)
        self._private(telegram, "user", messages=1, sender=telegram)
        saved = w.saved(alice)
        self.add(saved, Expected(alice.id, "saved", "Saved Messages"), sender=alice)
        self._fuzzy_names()
        self._needles()
        self._team_room()
        self._previews()
        self._hidden()
        self._folders(contacts)
        for key in ("team_room", "the_crypt", "krypto"):  # pinned: listed first by Telegram
            w.pin_dialog(alice, sw.chats[key])
        return sw

    def _previews(self) -> None:
        """A long last message (preview cut to 120 characters) and a photo without text."""
        w, sw = self.w, self.sw
        long_talk = w.channel("Long Talk", members=[sw.alice], date=T0)
        photo_dump = w.channel("Photo Dump", members=[sw.alice], date=T0)
        sw.chats.update(long_talk=long_talk, photo_dump=photo_dump)
        for chat, text, media in (
            (long_talk, "word " * 60 + "\n\nthe end", None),
            (photo_dump, "", w.photo()),
        ):
            expected = self.add(chat, self._chat(chat, "channel", None, 0))
            expected.last_message_date = self.next_date()
            w.post(chat, text, media=media, date=expected.last_message_date)
            w.read(sw.alice, chat, unread=0)
            expected.unread_count = 0

    def _hidden(self) -> None:
        """A private channel and a basic group alice is not in (no dialog, no access)."""
        w, sw = self.w, self.sw
        sw.chats["hidden"] = w.channel("Hidden", members=[sw.bob], date=T0)
        sw.chats["bobs_group"] = w.group("Bob's Group", members=[sw.bob], date=T0)

    def _chat(self, chat, kind: str, creator, member_index: int) -> Expected:
        count = len(chat.members)
        return Expected(
            chat.peer,
            kind,
            chat.title,
            username=chat.username if kind != "group" else None,
            is_verified=getattr(chat, "verified", False),
            is_creator=creator is not None,
            participants_count=count,
        )

    def _private(self, user: User, kind: str, *, contact=False, messages=1, sender=None):
        chat = self.w.private(self.sw.alice, user)
        name = " ".join(part for part in (user.first_name, user.last_name) if part)
        expected = Expected(
            user.id,
            kind,
            name,
            username=user.username,
            is_verified=user.verified,
            is_contact=contact,
        )
        self.add(chat, expected, messages=messages, sender=sender or user)

    def _fuzzy_names(self) -> None:
        w, alice = self.w, self.sw.alice
        named = {
            "crypto_traders": w.supergroup("Crypto Traders", members=[alice], date=T0),
            "crypto_news": w.channel(
                "Daily Crypto News", username="dailycryptonews", members=[alice]
            ),
            "krypto": w.channel("Krypto Club", members=[alice], date=T0),
            "encrypted": w.group("Encrypted Chat", members=[alice, self.sw.bob], date=T0),
            "the_crypt": w.channel("The Crypt", members=[alice], date=T0),
        }
        kinds = {"crypto_traders": "supergroup", "encrypted": "group"}
        for key, chat in named.items():
            self.sw.chats[key] = chat
            self.add(chat, self._chat(chat, kinds.get(key, "channel"), None, 0))

    def _needles(self) -> None:
        """600 needle posts in one channel (2 a second), 30 more in each of five chats of
        every type, sharing their seconds (so results tie on date across chats)."""
        w, sw = self.w, self.sw
        alice, bob = sw.alice, sw.bob
        firehose = w.channel("Firehose", username="firehose", members=[alice], date=T0)
        start = self.next_date()
        w.fill(firehose, NEEDLE_POSTS, start=start, step=0.5, text="needle number {i}")
        self.clock = start + NEEDLE_POSTS
        sw.chats["firehose"] = firehose
        self.add(firehose, self._chat(firehose, "channel", None, 0), messages=1)
        sw.needle_counts[firehose.peer] = NEEDLE_POSTS
        others = {
            "needle_super": w.supergroup("Needle Super", members=[alice, bob], date=T0),
            "needle_basic": w.group("Needle Basic", members=[alice, bob], date=T0),
            "needle_dm": w.private(alice, sw.carol),
            "needle_saved": w.saved(alice),
            "needle_channel": w.channel("Needle Channel", members=[alice], date=T0),
        }
        base = self.next_date()
        for key, chat in others.items():
            sender = alice if key in ("needle_saved",) else None
            if key == "needle_dm":
                sender = sw.carol
            for n in range(NEEDLES_ELSEWHERE):
                w.post(chat, f"needle {key} {n}", sender=sender, date=base + n // 3)
            sw.chats[key] = chat
        self.clock = base + NEEDLES_ELSEWHERE
        for key in ("needle_super", "needle_basic", "needle_channel"):
            chat = others[key]
            kind = {"needle_super": "supergroup", "needle_basic": "group"}.get(key, "channel")
            expected = self._chat(chat, kind, None, 0)
            self.add(chat, expected, messages=1)
            sw.needle_counts[chat.peer] = NEEDLES_ELSEWHERE
        carol = sw.carol
        dm = Expected(carol.id, "user", "Carol White", username=carol.username)
        self.add(others["needle_dm"], dm, sender=carol)
        sw.needle_counts[carol.id] = NEEDLES_ELSEWHERE
        sw.needle_counts[alice.id] = NEEDLES_ELSEWHERE
        saved = sw.dialogs[alice.id]
        saved.last_message_date = base + (NEEDLES_ELSEWHERE - 1) // 3
        self.w.post(others["needle_saved"], "saved after needles", sender=alice, date=self.clock)
        saved.last_message_date = self.clock

    def _team_room(self) -> None:
        """Senders, media with captions, and messages on both sides of midnight."""
        w, sw = self.w, self.sw
        alice, bob, carol = sw.alice, sw.bob, sw.carol
        room = w.supergroup("Team Room", username="teamroom", members=[alice, bob, carol])
        sw.chats["team_room"] = room
        day = ts("2023-12-01 00:00:00")
        posts = [
            (alice, "report draft", None, day - 1),  # 2023-11-30 23:59:59
            (bob, "report review", None, day),  # 2023-12-01 00:00:00
            (carol, "report photo", w.photo(), day + 1),
            (bob, "report document", w.document(2_000, file_name="r.pdf"), day + 2),
            (carol, "report voice", w.voice(), day + 3),
            (alice, "report final", None, day + 86_399),  # 2023-12-01 23:59:59
            (bob, "report late", None, day + 86_400),  # 2023-12-02 00:00:00
            (carol, "unrelated chatter", None, day + 86_401),
        ]
        for sender, text, media, date in posts:
            w.post(room, text, sender=sender, media=media, date=date)
        self.clock = max(self.clock, day + 86_401)
        expected = self._chat(room, "supergroup", None, 0)
        self.add(room, expected, messages=1, sender=bob)

    def _folders(self, contacts: list[User]) -> None:
        w, sw = self.w, self.sw
        alice = sw.alice
        work_chats = [sw.chats["crypto_traders"], sw.chats["firehose"]]
        excluded_group = sw.chats["needle_basic"]
        work = w.folder(
            alice,
            "Work",
            emoticon="💼",
            include=work_chats,
            exclude=[excluded_group],
            groups=True,
        )
        friends = w.folder(alice, "Friends", emoticon="👥", contacts=True)
        news = w.folder(
            alice, "Unread news", broadcasts=True, exclude_read=True, exclude_muted=True
        )
        picked = w.folder(alice, "Picked", pinned=[w.saved(alice)], include=[contacts[0]])
        sw.folders = {"work": work.id, "friends": friends.id, "news": news.id, "picked": picked.id}
        included = {work.id: {c.peer for c in work_chats}, picked.id: {alice.id, contacts[0].id}}
        for dialog in sw.dialogs.values():
            kind = dialog.type
            rules = {
                work.id: kind in ("group", "supergroup") and dialog.id != excluded_group.peer,
                friends.id: kind == "saved" or (kind == "user" and dialog.is_contact),
                news.id: kind == "channel" and dialog.unread_count > 0 and not dialog.is_muted,
                picked.id: False,
            }
            dialog.folder_ids = [
                folder_id
                for folder_id in (work.id, friends.id, news.id, picked.id)
                if dialog.id in included.get(folder_id, ()) or rules[folder_id]
            ]


def build_search_world() -> SearchWorld:
    return _Builder().build()
