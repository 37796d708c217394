"""Every handler module; importing this package registers them all in rpc.HANDLERS."""

import importlib
import logging

_MODULES = (
    # wire
    "help",
    "updates",
    "authorization",
    # world
    "users",
    "contacts",
    "channels",
    "chats",
    "history",
    "search",
    "dialogs",
    "filters",
    "upload",
    # login
    "login",
    "password",
    "takeout",
)

# While the three fakegram parts are being written at the same time, a module that does not
# exist or does not import yet is skipped with a warning (becomes a plain import list after).
for _name in _MODULES:
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ImportError as e:
        if isinstance(e, ModuleNotFoundError) and e.name == f"{__name__}.{_name}":
            continue
        logging.getLogger(__name__).warning("fakegram: handlers %s not loaded: %s", _name, e)
