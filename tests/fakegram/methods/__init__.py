"""Every handler module; importing this package registers them all in rpc.HANDLERS.

A new handler module must be added here. Owners: wire (authorization, help, updates),
world (channels, chats, contacts, dialogs, filters, history, search, upload, users),
login (login, password, takeout).
"""

from . import (  # noqa: F401
    authorization,
    channels,
    chats,
    contacts,
    dialogs,
    filters,
    help,
    history,
    login,
    password,
    search,
    takeout,
    updates,
    upload,
    users,
)
