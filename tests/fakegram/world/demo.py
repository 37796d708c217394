"""The demo world: what `python -m tests.fakegram serve` shows without a world file.

Deterministic (fixed dates, ids and file seeds): two accounts, alice (no 2FA) and bob
(2FA password "hunter2"), channels with thousands of messages and every media kind,
a private channel whose id is above 2^31, a supergroup, a basic group, private chats,
a bot, Saved Messages, folders, pinned and archived dialogs. All files live on DC 2,
the accounts' home DC (a separate process does not trust the fake's RSA key for the
new auth key another DC would need).
"""

from __future__ import annotations

import random

from .builder import Chat, WorldBuilder
from .model import Entity, Forward, User, World

NOW = 1_718_000_000  # 2024-06-10
START = NOW - 365 * 86_400
BIG_CHANNEL_ID = 2**31 + 4242
BOB_PASSWORD = "hunter2"

_VOCABULARY = (
    "release kernel python telegram cache search history media update benchmark sqlite "
    "network latency archive folder photo video weekend coffee meeting deploy review"
)
WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random, words: int = 8) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


class _Demo:
    def __init__(self) -> None:
        self.w = WorldBuilder(now=NOW)
        self.rng = random.Random(20240610)

    def media_message(self, chat: Chat, index: int, date: int, sender: User | None) -> None:
        """One message of each media kind in turn (index picks the kind)."""
        w, rng = self.w, self.rng
        kind = index % 10
        caption = _sentence(rng, 5)
        if kind == 0:
            w.post(
                chat,
                caption,
                media=w.photo(rng.randrange(20_000, 200_000)),
                date=date,
                sender=sender,
            )
        elif kind == 1:
            w.post(
                chat,
                caption,
                media=w.video(rng.randrange(300_000, 3_000_000)),
                date=date,
                sender=sender,
            )
        elif kind == 2:
            w.post(chat, "", media=w.round_video(), date=date, sender=sender)
        elif kind == 3:
            w.post(chat, "", media=w.voice(duration=rng.randrange(2, 40)), date=date, sender=sender)
        elif kind == 4:
            w.post(chat, caption, media=w.audio(title=caption[:20]), date=date, sender=sender)
        elif kind == 5:
            w.post(chat, "", media=w.sticker(), date=date, sender=sender)
        elif kind == 6:
            w.post(chat, "", media=w.gif(), date=date, sender=sender)
        elif kind == 7:
            name = f"report-{index}.pdf"
            w.post(
                chat,
                caption,
                media=w.document(
                    rng.randrange(10_000, 2_000_000), mime_type="application/pdf", file_name=name
                ),
                date=date,
                sender=sender,
            )
        elif kind == 8:
            url = f"https://example.org/articles/{index}"
            text = f"Read this: {url}"
            page = w.webpage(
                url,
                title=caption,
                description=_sentence(rng),
                site_name="Example",
                photo=w.photo(30_000, w=800, h=450),
            )
            w.post(
                chat,
                text,
                media=page,
                date=date,
                sender=sender,
                entities=[Entity("url", 11, len(url))],
            )
        else:
            w.album(
                chat, [w.photo(), w.photo(), w.video(400_000)], caption, date=date, sender=sender
            )

    def history(
        self,
        chat: Chat,
        count: int,
        *,
        start: int,
        end: int,
        senders: list[User | None],
        every: int = 25,
    ) -> None:
        """`count` messages between start and end: text runs (some sharing a second),
        with a media message every `every` messages and some replies, forwards, edits."""
        w, rng = self.w, self.rng
        blocks = max(1, count // every)
        span = (end - start) // blocks
        for block in range(blocks):
            date = start + block * span
            sender = senders[block % len(senders)]
            step = rng.choice((0.5, 1, 7, 60))
            text = f"{_sentence(rng, 4)} #{block}-{{i}}"
            last = w.fill(chat, every - 1, start=date, step=step, text=text, sender=sender)[-1]
            self.media_message(chat, block, last.date + 1, sender)
            if block % 7 == 3:
                replier = senders[(block + 1) % len(senders)]
                w.post(
                    chat,
                    "Agreed, " + _sentence(rng, 3).lower(),
                    reply_to=last,
                    quote=last.text.split()[0],
                    sender=replier,
                    date=last.date + 2,
                )
            if block % 11 == 5:
                w.edit(last, last.text + " (edited)", date=last.date + 90)

    def build(self) -> World:
        w = self.w
        alice = w.account("alice", "Alice", "Liddell", phone="+99966100001", id=100_000_001)
        bob = w.account(
            "bob",
            "Bob",
            "Builder",
            phone="+99966100002",
            password=BOB_PASSWORD,
            hint="the usual",
            id=100_000_002,
        )
        carol = w.user("carol", "Carol", "Danvers", phone="+99966100003")
        dave = w.user(None, "Dave")
        helper = w.bot("helper_bot", "Helper", about="I answer questions.")
        w.contact(alice, bob, carol)
        w.contact(bob, alice)

        news = w.channel(
            "Tech News",
            username="technews",
            members=[alice, bob],
            creator=carol,
            date=START,
            about="Daily tech headlines.",
            signatures=True,
        )
        w.service(news, "channel_create", title="Tech News", date=START)
        self.history(news, 3000, start=START + 60, end=NOW - 86_400, senders=[carol, dave])
        first = news.history.messages[1]
        w.pin(news, first, sender=carol, date=NOW - 86_000)

        archive = w.channel(
            "Big Id Archive", members=[alice], creator=alice, id=BIG_CHANNEL_ID, date=START
        )
        w.service(archive, "channel_create", title="Big Id Archive", date=START)
        self.history(archive, 2000, start=START + 60, end=NOW - 3 * 86_400, senders=[alice])

        photos = w.channel(
            "Photo Daily", username="photodaily", members=[alice], creator=carol, date=START
        )
        self.history(photos, 500, start=START + 60, end=NOW - 7 * 86_400, senders=[None], every=5)

        devchat = w.supergroup(
            "Dev Chat",
            username="devchat",
            members=[alice, bob, carol, dave],
            creator=bob,
            date=START,
        )
        self.history(
            devchat, 1500, start=START + 600, end=NOW - 3600, senders=[alice, bob, carol, dave]
        )
        w.forward(news.history.messages[10], devchat, sender=carol, date=NOW - 3000)
        w.post(
            devchat,
            "Someone said this",
            date=NOW - 2900,
            sender=dave,
            fwd=Forward(NOW - 10_000, from_name="A. Nonymous"),
        )

        family = w.group("Family", members=[alice, bob, carol], creator=alice, date=START)
        w.service(
            family, "chat_create", title="Family", users=[bob, carol], sender=alice, date=START
        )
        self.history(family, 300, start=START + 60, end=NOW - 7200, senders=[alice, bob, carol])

        dm_bob = w.private(alice, bob)
        self.history(dm_bob, 400, start=START + 3600, end=NOW - 600, senders=[alice, bob])
        dm_carol = w.private(alice, carol)
        self.history(dm_carol, 120, start=START + 7200, end=NOW - 86_400, senders=[carol, alice])
        dm_bot = w.private(alice, helper)
        w.post(
            dm_bot, "/start", sender=alice, date=NOW - 5000, entities=[Entity("bot_command", 0, 6)]
        )
        w.post(dm_bot, "Hello! Ask me anything.", sender=helper, date=NOW - 4999)
        saved = w.saved(alice)
        w.post(saved, "Note to self: buy milk", date=NOW - 40_000, entities=[Entity("bold", 14, 8)])
        w.forward(news.history.messages[20], saved, sender=alice, date=NOW - 30_000)
        self.media_message(saved, 7, NOW - 20_000, alice)

        for chat in (news, archive, photos, devchat, family, dm_bob, dm_carol, dm_bot, saved):
            w.read(alice, chat)
        for chat in (news, devchat, family, dm_bob):
            w.read(bob, chat)
        w.read(alice, devchat, unread=12)
        w.read(alice, dm_bob, unread=3)
        w.read(alice, news, unread=40)
        w.pin_dialog(alice, devchat)
        w.pin_dialog(alice, dm_bob)
        w.archive(alice, photos)
        w.archive(alice, dm_bot)
        w.mute(alice, news)
        w.folder(alice, "Work", emoticon="💼", include=[news, devchat, archive], pinned=[devchat])
        w.folder(
            alice, "Friends", emoticon="🏠", contacts=True, include=[family], exclude=[dm_carol]
        )
        w.folder(bob, "Chats", groups=True, exclude_archived=True)
        return w.world


def build_demo_world() -> World:
    """A fresh demo world (same content on every call)."""
    return _Demo().build()
