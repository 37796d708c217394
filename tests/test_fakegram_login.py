"""fakegram's login methods: SRP maths, then QR, phone code, 2FA, logout with stock kurigram."""

from __future__ import annotations

import asyncio
import os

import pyrogram
import pytest
from pyrogram import raw
from pyrogram.errors import (
    AuthKeyUnregistered,
    AuthTokenExpired,
    PasswordHashInvalid,
    PhoneCodeInvalid,
    PhoneNumberInvalid,
    PhoneNumberUnoccupied,
    SessionPasswordNeeded,
    TakeoutInvalid,
)
from pyrogram.qrlogin import QRLogin
from pyrogram.utils import compute_password_check, compute_password_hash

from tests.fakegram import srp
from tests.fakegram.methods.login import accept_login_token, login_code_for, login_state
from tests.fakegram.methods.takeout import takeout_valid
from tests.fakegram.rpc import HANDLERS, CallContext, RpcError
from tests.fakegram.testing import TEST_API_HASH, TEST_API_ID, FakeTelegram
from tests.fakegram.world.builder import WorldBuilder


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


# ------------------------------------------------------------------------ handlers, directly

PHONE = "+9996610001"
PHONE_2FA = "+9996610002"
PHONE_DC4 = "+9996610004"
PASSWORD = "open sesame"


@pytest.fixture
def world():
    build = WorldBuilder()
    build.account("alice", phone=PHONE)
    build.account("bob", phone=PHONE_2FA, password=PASSWORD, hint="sesame")
    build.account("carol", phone=PHONE_DC4, dc_id=4)
    build.account("dave", phone="+9996610005", password=PASSWORD, dc_id=4)
    return build.world


def _account(world, username):
    return world.account_by_username(username)


class Clock:
    """Login-state time that tests move forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def offline(world):
    """A FakeTelegram that is never started: handlers are called directly on it."""
    server = FakeTelegram(world)
    clock = login_state(server).clock = Clock()
    return server, clock


def _ctx(server, dc_id=2, user_id=None):
    key = server.register_key(dc_id, os.urandom(256), user_id=user_id)
    return CallContext(server, server.world, dc_id, key.id, user_id, connection=None)


async def _call(ctx, request):
    return await HANDLERS[type(request)](ctx, request)


def _export():
    return raw.functions.auth.ExportLoginToken(
        api_id=TEST_API_ID, api_hash=TEST_API_HASH, except_ids=[]
    )


async def _rpc_error(awaitable) -> tuple[int, str]:
    with pytest.raises(RpcError) as caught:
        await awaitable
    return caught.value.code, caught.value.message


async def test_qr_token_accepted_logs_the_exporting_key_in(offline, world):
    server, _ = offline
    alice = _account(world, "alice")
    qr, phone = _ctx(server), _ctx(server, user_id=alice.id)
    first = await _call(qr, _export())
    second = await _call(qr, _export())
    assert isinstance(first, raw.types.auth.LoginToken) and first.token != second.token
    assert first.expires == login_state(server).clock() + 30

    accepted = await _call(phone, raw.functions.auth.AcceptLoginToken(token=first.token))
    assert isinstance(accepted, raw.types.Authorization) and accepted.api_id == TEST_API_ID
    assert server.auth_keys[qr.auth_key_id].user_id is None  # not until it exports again

    done = await _call(qr, _export())
    assert isinstance(done, raw.types.auth.LoginTokenSuccess)
    assert done.authorization.user.id == alice.id and done.authorization.user.is_self
    assert server.auth_keys[qr.auth_key_id].user_id == alice.id == qr.user_id


async def test_accept_errors(offline, world):
    server, clock = offline
    alice = _account(world, "alice")
    qr = _ctx(server)
    token = (await _call(qr, _export())).token
    assert accept_login_token(server, token, alice.id).api_id == TEST_API_ID
    assert await _rpc_error(_accept(server, token, alice.id)) == (
        400,
        "AUTH_TOKEN_ALREADY_ACCEPTED",
    )
    assert await _rpc_error(_accept(server, b"nonsense", alice.id)) == (400, "AUTH_TOKEN_INVALIDX")
    stale = (await _call(_ctx(server), _export())).token
    clock.now += 30
    assert await _rpc_error(_accept(server, stale, alice.id)) == (400, "AUTH_TOKEN_EXPIRED")


async def _accept(server, token, user_id):
    return accept_login_token(server, token, user_id)


async def test_expired_token_is_replaced_by_a_new_one(offline, world):
    server, clock = offline
    qr = _ctx(server)
    old = await _call(qr, _export())
    clock.now += 31
    new = await _call(qr, _export())
    assert new.token != old.token and new.expires == old.expires + 31
    accept_login_token(server, new.token, _account(world, "alice").id)
    assert isinstance(await _call(qr, _export()), raw.types.auth.LoginTokenSuccess)


async def test_token_ttl_is_configurable(offline):
    server, clock = offline
    login_state(server).token_ttl = 2
    token = await _call(_ctx(server), _export())
    assert token.expires == clock.now + 2


async def test_export_checks_the_api_id(offline):
    server, _ = offline
    wrong = raw.functions.auth.ExportLoginToken(api_id=1, api_hash="x", except_ids=[])
    assert await _rpc_error(_call(_ctx(server), wrong)) == (400, "API_ID_INVALID")


async def test_account_on_another_dc_migrates_with_import_login_token(offline, world):
    server, _ = offline
    carol = _account(world, "carol")
    qr = _ctx(server)
    accept_login_token(server, (await _call(qr, _export())).token, carol.id)
    moved = await _call(qr, _export())
    assert isinstance(moved, raw.types.auth.LoginTokenMigrateTo) and moved.dc_id == 4
    assert qr.user_id is None
    importing = raw.functions.auth.ImportLoginToken(token=moved.token)
    assert await _rpc_error(_call(_ctx(server, 2), importing)) == (400, "AUTH_TOKEN_INVALID")
    dc4 = _ctx(server, 4)
    done = await _call(dc4, importing)
    assert isinstance(done, raw.types.auth.LoginTokenSuccess)
    assert server.auth_keys[dc4.auth_key_id].user_id == carol.id
    again = _call(_ctx(server, 4), importing)
    assert await _rpc_error(again) == (400, "AUTH_TOKEN_ALREADY_ACCEPTED")


async def test_import_of_an_expired_migration_token(offline, world):
    server, clock = offline
    qr = _ctx(server)
    accept_login_token(server, (await _call(qr, _export())).token, _account(world, "carol").id)
    moved = await _call(qr, _export())
    clock.now += 30
    importing = raw.functions.auth.ImportLoginToken(token=moved.token)
    assert await _rpc_error(_call(_ctx(server, 4), importing)) == (400, "AUTH_TOKEN_EXPIRED")


async def _password_check(ctx, password, srp_id=None):
    state = await _call(ctx, raw.functions.account.GetPassword())
    check = compute_password_check(state, password)
    if srp_id is not None:
        check.srp_id = srp_id
    return await _call(ctx, raw.functions.auth.CheckPassword(password=check))


async def test_qr_with_2fa_needs_the_password(offline, world):
    server, _ = offline
    bob = _account(world, "bob")
    qr = _ctx(server)
    assert await _rpc_error(_call(qr, raw.functions.account.GetPassword())) == (
        401,
        "AUTH_KEY_UNREGISTERED",
    )
    accept_login_token(server, (await _call(qr, _export())).token, bob.id)
    assert await _rpc_error(_call(qr, _export())) == (401, "SESSION_PASSWORD_NEEDED")
    assert await _rpc_error(_call(qr, _export())) == (401, "SESSION_PASSWORD_NEEDED")
    assert qr.user_id is None

    state = await _call(qr, raw.functions.account.GetPassword())
    assert state.has_password and state.hint == "sesame"
    assert isinstance(
        state.current_algo,
        raw.types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow,
    )
    assert state.current_algo.p == srp.PRIME_BYTES and state.current_algo.g == 3
    assert await _rpc_error(_password_check(qr, "open sesamE")) == (400, "PASSWORD_HASH_INVALID")
    stale = state.srp_id
    assert await _rpc_error(_password_check(qr, PASSWORD, srp_id=stale)) == (
        400,
        "SRP_ID_INVALID",
    )
    assert qr.user_id is None
    done = await _password_check(qr, PASSWORD)
    assert isinstance(done, raw.types.auth.Authorization) and done.user.id == bob.id
    assert server.auth_keys[qr.auth_key_id].user_id == bob.id


async def test_each_get_password_is_a_new_challenge_with_one_cached_verifier(offline, world):
    server, _ = offline
    bob = _account(world, "bob")
    ctx = _ctx(server, user_id=bob.id)
    first = await _call(ctx, raw.functions.account.GetPassword())
    second = await _call(ctx, raw.functions.account.GetPassword())
    assert first.srp_id != second.srp_id and first.srp_B != second.srp_B
    assert first.current_algo.salt1 == second.current_algo.salt1  # verifier computed once
    old_answer = compute_password_check(first, PASSWORD)
    request = raw.functions.auth.CheckPassword(password=old_answer)
    assert await _rpc_error(_call(ctx, request)) == (400, "SRP_ID_INVALID")


async def test_concurrent_logins_share_one_verifier(offline, world):
    server, _ = offline
    bob = _account(world, "bob")
    keys = [_ctx(server, user_id=bob.id) for _ in range(3)]
    states = await asyncio.gather(
        *(_call(ctx, raw.functions.account.GetPassword()) for ctx in keys)
    )
    answers = [compute_password_check(state, PASSWORD) for state in states]
    for ctx, answer in zip(keys, answers, strict=True):
        done = await _call(ctx, raw.functions.auth.CheckPassword(password=answer))
        assert done.user.id == bob.id


async def test_get_password_of_an_account_without_2fa(offline, world):
    server, _ = offline
    ctx = _ctx(server, user_id=_account(world, "alice").id)
    state = await _call(ctx, raw.functions.account.GetPassword())
    assert not state.has_password and state.srp_B is None


async def _send_code(ctx, phone):
    request = raw.functions.auth.SendCode(
        phone_number=phone,
        api_id=TEST_API_ID,
        api_hash=TEST_API_HASH,
        settings=raw.types.CodeSettings(),
    )
    return await _call(ctx, request)


def _sign_in(phone, phone_code_hash, code):
    return raw.functions.auth.SignIn(
        phone_number=phone, phone_code_hash=phone_code_hash, phone_code=code
    )


def test_login_code_is_deterministic_per_phone():
    code = login_code_for("+999 661 0001")
    assert code == login_code_for("9996610001") and len(code) == 5 and code.isdigit()
    assert code != login_code_for("9996610002")


async def test_phone_code_login(offline, world):
    server, _ = offline
    alice = _account(world, "alice")
    ctx = _ctx(server)
    sent = await _send_code(ctx, PHONE)
    assert isinstance(sent.type, raw.types.auth.SentCodeTypeApp) and sent.type.length == 5
    code = login_code_for(PHONE)
    assert code == login_code_for("+999 661 0001")
    wrong = "00000" if code != "00000" else "11111"
    assert await _rpc_error(_call(ctx, _sign_in(PHONE, "", code))) == (
        400,
        "PHONE_CODE_HASH_EMPTY",
    )
    assert await _rpc_error(_call(ctx, _sign_in(PHONE, sent.phone_code_hash, ""))) == (
        400,
        "PHONE_CODE_EMPTY",
    )
    assert await _rpc_error(_call(ctx, _sign_in(PHONE, sent.phone_code_hash, wrong))) == (
        400,
        "PHONE_CODE_INVALID",
    )
    assert await _rpc_error(_call(ctx, _sign_in(PHONE, "f00", code))) == (
        400,
        "PHONE_CODE_EXPIRED",
    )
    done = await _call(ctx, _sign_in(PHONE, sent.phone_code_hash, code))
    assert done.user.id == alice.id and ctx.user_id == alice.id
    used = _call(_ctx(server), _sign_in(PHONE, sent.phone_code_hash, code))
    assert await _rpc_error(used) == (400, "PHONE_CODE_EXPIRED")


async def test_phone_code_errors(offline, world):
    server, clock = offline
    ctx = _ctx(server)
    for bad in ("", "12", "+12a4567", "1234567890123456"):
        assert await _rpc_error(_send_code(ctx, bad)) == (400, "PHONE_NUMBER_INVALID")
    stranger = "+999 662 0000"
    sent = await _send_code(ctx, stranger)
    assert await _rpc_error(
        _call(ctx, _sign_in(stranger, sent.phone_code_hash, login_code_for(stranger)))
    ) == (400, "PHONE_NUMBER_UNOCCUPIED")
    assert await _rpc_error(
        _call(
            ctx,
            raw.functions.auth.SignUp(
                phone_number=stranger,
                phone_code_hash=sent.phone_code_hash,
                first_name="New",
                last_name="",
            ),
        )
    ) == (400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN")
    sent = await _send_code(ctx, PHONE)
    clock.now += login_state(server).code_ttl
    late = _call(ctx, _sign_in(PHONE, sent.phone_code_hash, login_code_for(PHONE)))
    assert await _rpc_error(late) == (400, "PHONE_CODE_EXPIRED")
    assert await _rpc_error(_send_code(ctx, PHONE_DC4)) == (303, "PHONE_MIGRATE_4")


async def test_resend_and_cancel_code(offline):
    server, _ = offline
    ctx = _ctx(server)
    sent = await _send_code(ctx, PHONE)
    again = await _call(
        ctx, raw.functions.auth.ResendCode(phone_number=PHONE, phone_code_hash=sent.phone_code_hash)
    )
    assert again.phone_code_hash == sent.phone_code_hash
    cancel = raw.functions.auth.CancelCode(phone_number=PHONE, phone_code_hash=sent.phone_code_hash)
    assert await _call(ctx, cancel) is True
    after = _call(ctx, _sign_in(PHONE, sent.phone_code_hash, login_code_for(PHONE)))
    assert await _rpc_error(after) == (400, "PHONE_CODE_EXPIRED")


async def test_phone_code_with_2fa(offline, world):
    server, _ = offline
    ctx = _ctx(server)
    sent = await _send_code(ctx, PHONE_2FA)
    sign_in = _call(ctx, _sign_in(PHONE_2FA, sent.phone_code_hash, login_code_for(PHONE_2FA)))
    assert await _rpc_error(sign_in) == (401, "SESSION_PASSWORD_NEEDED")
    assert ctx.user_id is None
    assert (await _password_check(ctx, PASSWORD)).user.id == _account(world, "bob").id


async def test_log_out_unbinds_the_key(offline, world):
    server, _ = offline
    ctx = _ctx(server, user_id=_account(world, "alice").id)
    assert isinstance(await _call(ctx, raw.functions.auth.LogOut()), raw.types.auth.LoggedOut)
    assert server.auth_keys[ctx.auth_key_id].user_id is None and ctx.user_id is None
    assert await _rpc_error(_call(ctx, raw.functions.auth.LogOut())) == (
        401,
        "AUTH_KEY_UNREGISTERED",
    )


async def test_takeout_session(offline, world):
    server, _ = offline
    alice, carol = _account(world, "alice"), _account(world, "carol")
    ctx = _ctx(server, user_id=alice.id)
    takeout = await _call(ctx, raw.functions.account.InitTakeoutSession(message_channels=True))
    assert takeout_valid(server, takeout.id, alice.id)
    assert not takeout_valid(server, takeout.id, carol.id)
    finish = raw.functions.account.FinishTakeoutSession(success=True)
    assert await _rpc_error(_call(ctx, finish)) == (400, "TAKEOUT_REQUIRED")
    ctx.takeout_id = takeout.id + 1
    assert await _rpc_error(_call(ctx, finish)) == (400, "TAKEOUT_INVALID")
    ctx.takeout_id = takeout.id
    assert await _call(ctx, finish) is True
    assert await _rpc_error(_call(ctx, finish)) == (400, "TAKEOUT_INVALID")


# ------------------------------------------------------------------- stock kurigram, end to end


@pytest.fixture
async def server(fakegram, world):
    return await fakegram(world)


@pytest.fixture
async def fresh(server, tmp_path):
    """`await fresh()` -> a connected client with a brand-new key (real key exchange)."""
    clients = []

    async def connect() -> pyrogram.Client:
        client = server.fresh_client(f"fresh{len(clients)}", tmp_path)
        clients.append(client)
        assert await client.connect() is False
        return client

    yield connect
    for client in clients:
        if client.is_connected:
            await client.disconnect()


async def _qr_login(qr: QRLogin, phone: pyrogram.Client):
    """Show the token to the "phone" and wait, as a QR login does."""
    waiting = asyncio.create_task(qr.wait(timeout=20))
    await phone.invoke(raw.functions.auth.AcceptLoginToken(token=qr.r.token))
    return await waiting


async def test_qr_login(server, world, fresh, fakegram_client):
    alice = _account(world, "alice")
    phone = await fakegram_client(server, alice.id)
    client = await fresh()
    qr = QRLogin(client)
    await qr.recreate()
    assert qr.url.startswith("tg://login?token=")
    user = await _qr_login(qr, phone)
    assert user.id == alice.id
    assert (await client.get_me()).id == alice.id
    assert await client.storage.user_id() == alice.id


async def test_qr_login_with_2fa(server, world, fresh, fakegram_client):
    bob = _account(world, "bob")
    phone = await fakegram_client(server, bob.id)
    client = await fresh()
    qr = QRLogin(client)
    await qr.recreate()
    with pytest.raises(SessionPasswordNeeded):
        await _qr_login(qr, phone)
    assert await client.get_password_hint() == "sesame"
    with pytest.raises(PasswordHashInvalid):
        await client.check_password("not it")
    with pytest.raises(AuthKeyUnregistered):
        await client.get_me()
    assert (await client.check_password(PASSWORD)).id == bob.id
    assert (await client.get_me()).id == bob.id


async def test_expired_token_and_re_export(server, world, fresh, fakegram_client):
    alice = _account(world, "alice")
    phone = await fakegram_client(server, alice.id)
    clock = login_state(server).clock = Clock()
    client = await fresh()
    qr = QRLogin(client)
    await qr.recreate()
    expired = qr.r
    clock.now += login_state(server).token_ttl
    with pytest.raises(AuthTokenExpired):
        await phone.invoke(raw.functions.auth.AcceptLoginToken(token=expired.token))
    await qr.recreate()
    assert qr.r.token != expired.token and qr.r.expires > expired.expires
    assert (await _qr_login(qr, phone)).id == alice.id


@pytest.mark.parametrize(("username", "password"), [("carol", None), ("dave", PASSWORD)])
async def test_qr_login_migrates_to_the_accounts_dc(
    server, world, fresh, fakegram_client, username, password
):
    account = _account(world, username)
    phone = await fakegram_client(server, account.id)
    client = await fresh()
    assert await client.storage.dc_id() == 2
    qr = QRLogin(client)
    await qr.recreate()
    if password is None:
        assert (await _qr_login(qr, phone)).id == account.id
    else:
        with pytest.raises(SessionPasswordNeeded):
            await _qr_login(qr, phone)
        assert (await client.check_password(password)).id == account.id
    assert await client.storage.dc_id() == 4
    (key,) = [k for k in server.keys_on(4).values() if k.key == await client.storage.auth_key()]
    assert key.user_id == account.id
    assert (await client.get_me()).id == account.id


@pytest.mark.parametrize(("username", "password"), [("alice", None), ("bob", PASSWORD)])
async def test_phone_code_login_end_to_end(server, world, fresh, username, password):
    account = _account(world, username)
    client = await fresh()
    sent = await client.send_code(account.phone)
    code = login_code_for(account.phone)
    with pytest.raises(PhoneCodeInvalid):
        await client.sign_in(account.phone, sent.phone_code_hash, str(int(code) ^ 1).zfill(5))
    if password is None:
        user = await client.sign_in(account.phone, sent.phone_code_hash, code)
    else:
        with pytest.raises(SessionPasswordNeeded):
            await client.sign_in(account.phone, sent.phone_code_hash, code)
        with pytest.raises(PasswordHashInvalid):
            await client.check_password(password + "!")
        user = await client.check_password(password)
    assert user.id == account.id
    assert (await client.get_me()).id == account.id


async def test_phone_login_follows_phone_migrate(server, world, fresh):
    carol = _account(world, "carol")
    client = await fresh()
    sent = await client.send_code(carol.phone)
    assert await client.storage.dc_id() == 4
    user = await client.sign_in(carol.phone, sent.phone_code_hash, login_code_for(carol.phone))
    assert user.id == carol.id
    assert (await client.get_me()).id == carol.id


async def test_unknown_phone_number(server, fresh):
    client = await fresh()
    sent = await client.send_code("+999 662 0000")
    with pytest.raises(PhoneNumberUnoccupied):
        await client.sign_in("+999 662 0000", sent.phone_code_hash, login_code_for("9996620000"))
    with pytest.raises(PhoneNumberInvalid):
        await client.send_code("+1")


async def test_log_out_then_calls_are_unauthorized(server, world, fakegram_client):
    alice = _account(world, "alice")
    client = await fakegram_client(server, alice.id)
    (key,) = server.keys_on(2).values()
    assert await client.invoke(raw.functions.auth.LogOut())
    assert key.user_id is None
    with pytest.raises(AuthKeyUnregistered):
        await client.get_me()


async def test_pyrogram_log_out(server, world, fakegram_client):
    carol = _account(world, "carol")
    client = await fakegram_client(server, carol.id)
    (key,) = server.keys_on(4).values()
    assert key.user_id == carol.id
    assert await client.log_out() is True
    assert key.user_id is None and not client.is_connected


async def test_takeout_session_end_to_end(server, world, fakegram_client):
    client = await fakegram_client(server, _account(world, "alice").id)
    takeout = await client.invoke(raw.functions.account.InitTakeoutSession(message_users=True))
    finish = raw.functions.account.FinishTakeoutSession(success=True)
    wrapped = raw.functions.InvokeWithTakeout(takeout_id=takeout.id, query=finish)
    assert await client.invoke(wrapped) is True
    with pytest.raises(TakeoutInvalid):
        await client.invoke(wrapped)
