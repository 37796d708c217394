"""Logging Telegram accounts in and out: shared by ``tgsc-auth`` and the QR login API.

* ``connection``    fresh login clients (in-memory session; ``--telegram-dc`` redirect)
* ``qr``            the QR login engine: tokens, rotation, DC migration, 2FA
* ``qr_policy``     its states, timings and limits (QrStatus, QrPolicy, LoginExpired)
* ``qr_codes``      a login link drawn as SVG / PNG (the API) or text (the terminal)
* ``phone``         phone number + code + 2FA (tgsc-auth)
* ``password``      the 2FA step both flows share (SRP off the event loop)
* ``session_files`` writing sessions atomically, listing and deleting them
* ``completion``    run_to_end: a save (or close) that began runs to its end, even if
                    its caller is cancelled (so a written session is never logged out)
* ``registry``      QR logins of the HTTP API by token (one pending per account)
* ``account``       who a session belongs to (/api/v3/me, --list), logging out
* ``errors``        Telegram's login errors as one sentence a person can act on

A login never touches ``sessions/NAME.session`` until it has succeeded: the client
keeps its key in memory, and the file appears complete in one rename.
"""
