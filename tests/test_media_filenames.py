"""Disk names of downloaded media: Telegram's name sanitised, or a type-based one."""

from __future__ import annotations

import pytest

from tgscraper.media.filenames import MAX_NAME_BYTES, file_name, media_path, sanitize


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..\\..\\boot.ini", "_.._boot.ini"),
        ("/abs/path.txt", "_abs_path.txt"),
        (".hidden", "hidden"),
        ("..", ""),
        ("a\x00b\x1fc\x7f.txt", "a_b_c_.txt"),
        ("line\nbreak\r.pdf", "line_break_.pdf"),
        ("evil\u202etxt.exe", "evil_txt.exe"),
        ('what?<is>:this|"*.doc', "what__is__this___.doc"),
        ("  spaced   out  .zip. ", "spaced out .zip"),
        ("résumé 履歴書 🎉.pdf", "résumé 履歴書 🎉.pdf"),
        ("e\u0301te.txt", "éte.txt"),  # NFC
        ("///", ""),
    ],
)
def test_sanitize(given, expected):
    assert sanitize(given) == expected
    assert "/" not in sanitize(given) and "\\" not in sanitize(given)


def test_long_names_are_cut_on_a_character_boundary_keeping_the_extension():
    name = "日本語" * 100 + ".tar.gz"
    cut = sanitize(name)
    assert len(cut.encode()) <= MAX_NAME_BYTES
    assert cut.endswith(".gz")
    cut.encode().decode()  # whole characters only
    assert sanitize("x" * 500).startswith("x") and len(sanitize("x" * 500)) == MAX_NAME_BYTES


def test_type_based_names_have_the_right_extension():
    assert file_name("photos", None, "image/jpeg") == "photo.jpg"
    assert file_name("voice_messages", None, "audio/ogg") == "voice.ogg"
    assert file_name("video_messages", None, "video/mp4") == "video_message.mp4"
    assert file_name("stickers", None, "application/x-tgsticker") == "sticker.tgs"
    assert file_name("files", None, "application/pdf") == "file.pdf"
    assert file_name("files", None, None) == "file"
    assert file_name("files", "../..", "text/plain") == "file.txt"  # nothing left of it
    assert media_path(42, "files", "report.pdf", "application/pdf") == "media/42-report.pdf"
