"""{dialog} path values: numeric ids, usernames, links; id conversions."""

import pytest
from pyrogram import raw

from tgscraper.dialogs import (
    DialogRef,
    dialog_id_from_raw,
    dialog_id_of,
    parse_dialog_ref,
    peer_type_of,
    raw_peer_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-1001234567890", DialogRef(dialog_id=-1001234567890)),
        ("-1002147483648", DialogRef(dialog_id=-1002147483648)),  # channel id above 2^31
        ("-123456", DialogRef(dialog_id=-123456)),
        ("777000", DialogRef(dialog_id=777000)),
        (" 42 ", DialogRef(dialog_id=42)),
        ("durov", DialogRef(username="durov")),
        ("Durov_Channel", DialogRef(username="Durov_Channel")),
        ("@durov", DialogRef(username="durov")),
        ("t.me/durov", DialogRef(username="durov")),
        ("https://t.me/durov", DialogRef(username="durov")),
        ("http://t.me/durov/", DialogRef(username="durov")),
        ("https://t.me/durov/123", DialogRef(username="durov")),
        ("https://t.me/s/durov", DialogRef(username="durov")),
        ("https://T.ME/durov?start=1", DialogRef(username="durov")),
        ("https://telegram.me/durov", DialogRef(username="durov")),
        ("telegram.dog/durov", DialogRef(username="durov")),
        ("tg://resolve?domain=durov", DialogRef(username="durov")),
        ("tg://resolve?domain=durov&post=5", DialogRef(username="durov")),
        ("https://t.me/c/1234567890/55", DialogRef(dialog_id=-1001234567890)),
        ("a" * 32, DialogRef(username="a" * 32)),
        ("abcde", DialogRef(username="abcde")),
    ],
)
def test_valid_refs(text, expected):
    assert parse_dialog_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "-0",
        "-2000000000001",  # a secret chat id: never a dialog we can read
        "-4000000000000",
        "99999999999999999999",
        "abcd",  # too short
        "a" * 33,  # too long
        "1durov",  # starts with a digit
        "_durov",
        "du-rov",
        "du rov",
        "@",
        "@@durov",
        "https://example.com/durov",
        "ftp://t.me/durov",
        "https://t.me/",
        "https://t.me/+AbCdEf",
        "https://t.me/joinchat/AbCdEf",
        "https://t.me/c/abc/5",
        "https://t.me/c/",
        "tg://user?id=5",
        "tg://resolve?phone=123",
        "durov.t.me",
    ],
)
def test_invalid_refs(text):
    with pytest.raises(ValueError) as caught:
        parse_dialog_ref(text)
    assert len(str(caught.value)) > 20


def test_invite_link_error_says_so():
    with pytest.raises(ValueError, match="invite link"):
        parse_dialog_ref("t.me/+secret")


def test_ref_peer_is_what_pyrogram_resolves():
    assert parse_dialog_ref("@durov").peer == "durov"
    assert parse_dialog_ref("-1001").peer == -1001


@pytest.mark.parametrize(
    ("dialog_id", "peer_type", "raw_id"),
    [
        (-1001234567890, "channel", 1234567890),
        (-1000000000001, "channel", 1),
        (-1002147483648, "channel", 2147483648),
        (-123456, "chat", 123456),
        (-1, "chat", 1),
        (777000, "user", 777000),
        ((1 << 40) - 1, "user", (1 << 40) - 1),
    ],
)
def test_id_conversions(dialog_id, peer_type, raw_id):
    assert peer_type_of(dialog_id) == peer_type
    assert raw_peer_id(dialog_id) == raw_id
    assert dialog_id_from_raw(peer_type, raw_id) == dialog_id


def test_raw_peers_to_dialog_ids():
    assert dialog_id_of(raw.types.PeerChannel(channel_id=5)) == -1000000000005
    assert dialog_id_of(raw.types.PeerChat(chat_id=5)) == -5
    assert dialog_id_of(raw.types.PeerUser(user_id=5)) == 5
    assert dialog_id_of(raw.types.InputPeerChannel(channel_id=7, access_hash=1)) == -1000000000007


@pytest.mark.parametrize("bad", [0, 1 << 40, -2000000000001, -4000000000000])
def test_peer_type_rejects_other_ids(bad):
    with pytest.raises(ValueError):
        peer_type_of(bad)
