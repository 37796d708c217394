"""fakegram's login methods: SRP maths, then QR, phone code, 2FA, logout with stock kurigram."""

from __future__ import annotations

import pytest
from pyrogram import raw
from pyrogram.utils import compute_password_check, compute_password_hash

from tests.fakegram import srp


def _password_answer(verifier: srp.PasswordVerifier, challenge: srp.SrpChallenge, hint=None):
    """What account.getPassword sends for this challenge (as the client will read it)."""
    return raw.types.account.Password(
        new_algo=raw.types.PasswordKdfAlgoUnknown(),
        new_secure_algo=raw.types.SecurePasswordKdfAlgoUnknown(),
        secure_random=b"\0" * 32,
        has_password=True,
        current_algo=verifier.algo(),
        srp_B=challenge.B,
        srp_id=challenge.srp_id,
        hint=hint,
    )


@pytest.fixture(scope="module")
def verifier() -> srp.PasswordVerifier:
    return srp.compute_verifier("correct horse", b"s" * 40, b"t" * 16)


def test_password_hash_matches_pyrogram(verifier):
    ours = srp.password_hash("correct horse", verifier.salt1, verifier.salt2)
    assert ours == compute_password_hash(verifier.algo(), "correct horse")
    assert ours != srp.password_hash("correct horsf", verifier.salt1, verifier.salt2)


def test_algo_is_telegrams_prime_and_generator(verifier):
    algo = verifier.algo()
    assert algo.g == 3
    assert algo.p == srp.PRIME_BYTES and len(algo.p) == 256
    assert int.from_bytes(algo.p, "big") % 3 == 2  # 3 generates the quadratic residues


def test_pyrogram_proof_of_the_right_password_verifies(verifier):
    challenge = srp.SrpChallenge(verifier)
    answer = compute_password_check(_password_answer(verifier, challenge), "correct horse")
    assert answer.srp_id == challenge.srp_id
    assert challenge.verify(answer.A, answer.M1)


def test_pyrogram_proof_of_a_wrong_password_fails(verifier):
    challenge = srp.SrpChallenge(verifier)
    answer = compute_password_check(_password_answer(verifier, challenge), "wrong horse")
    assert not challenge.verify(answer.A, answer.M1)


def test_a_proof_is_bound_to_its_challenge(verifier):
    first, second = srp.SrpChallenge(verifier), srp.SrpChallenge(verifier)
    assert first.srp_id != second.srp_id and first.B != second.B
    answer = compute_password_check(_password_answer(verifier, first), "correct horse")
    assert not second.verify(answer.A, answer.M1)


@pytest.mark.parametrize("bad_a", [0, 1, srp.PRIME - 1, srp.PRIME, srp.PRIME + 5])
def test_out_of_range_a_is_rejected(verifier, bad_a):
    challenge = srp.SrpChallenge(verifier)
    with pytest.raises(ValueError):
        challenge.verify(bad_a.to_bytes(257, "big").lstrip(b"\0") or b"\0", b"\0" * 32)


async def test_make_verifier_uses_fresh_salts_and_matches_the_blocking_one():
    made = await srp.make_verifier("pw")
    assert len(made.salt1) == 40 and len(made.salt2) == 16
    assert made == srp.compute_verifier("pw", made.salt1, made.salt2)
    assert (await srp.make_verifier("pw")).salt1 != made.salt1
