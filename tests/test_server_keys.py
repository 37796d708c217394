"""--server-key: PEM parsing and Telegram's RSA key fingerprint."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from pyrogram.crypto import rsa

from tests.fakegram import rsa_key
from tgscraper.telegram.server_keys import (
    ServerKeyError,
    fingerprint,
    parse_pem,
    trust_server_keys,
)

# Telegram's production key #1, as published (PKCS#1); pyrogram knows its fingerprint.
TELEGRAM_PEM = """-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAwVACPi9w23mF3tBkdZz+zwrzKOaaQdr01vAbU4E1pvkfj4sqDsm6
lyDONS789sVoD/xCS9Y0hkkC3gtL1tSfTlgCMOOul9lcixlEKzwKENj1Yz/s7daS
an9tqw3bfUV/nqgbhGX81v/+7RFAEd+RwFnK7a+XYl9sluzHRyVVaTTveB2GazTw
Efzk2DWgkBluml8OREmvfraX3bkHZJTKX4EQSjBbbdJ2ZXIsRrYOXfaA+xayEGB+
8hdlLmAjbCVfaigxX0CDqWeR1yFL9kwd9P0NsZRPsmoqVwMbMu7mStFai6aIhc3n
Slv8kg9qv1m6XHVQY3PnEw+QQtqSIXklHwIDAQAB
-----END RSA PUBLIC KEY-----
"""
TELEGRAM_FINGERPRINT = 0xC3B42B026CE86B21 - (1 << 64)


def test_pkcs1_key_and_fingerprint_match_pyrogram():
    key = parse_pem(TELEGRAM_PEM)
    assert fingerprint(key) == TELEGRAM_FINGERPRINT
    assert rsa.server_public_keys[TELEGRAM_FINGERPRINT] == key


def test_fakegram_key_fingerprint_matches_the_fake():
    key = parse_pem(rsa_key.public_key_pem())
    assert key == rsa.PublicKey(rsa_key.MODULUS, rsa_key.EXPONENT)
    assert fingerprint(key) == rsa_key.fingerprint()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_subject_public_key_info_pem(tmp_path):
    private = tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True
    )
    spki = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pkcs1 = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-RSAPublicKey_out"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "BEGIN PUBLIC KEY" in spki and "BEGIN RSA PUBLIC KEY" in pkcs1
    assert parse_pem(spki) == parse_pem(pkcs1)
    assert parse_pem(spki).e == 65537


def test_trust_registers_the_key_with_pyrogram(tmp_path):
    pem = tmp_path / "server.pem"
    pem.write_text(TELEGRAM_PEM)
    assert trust_server_keys([pem]) == [TELEGRAM_FINGERPRINT]
    assert TELEGRAM_FINGERPRINT in rsa.server_public_keys


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a pem",
        "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
    ],
)
def test_garbage_is_refused_naming_the_file(tmp_path, text):
    pem = tmp_path / "bad.pem"
    pem.write_text(text)
    with pytest.raises(ServerKeyError, match=r"bad\.pem"):
        trust_server_keys([pem])


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ServerKeyError, match=r"missing\.pem"):
        trust_server_keys([tmp_path / "missing.pem"])
