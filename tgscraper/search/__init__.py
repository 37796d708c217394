"""Search logic that needs no Telegram: dialog entries and folders, fuzzy scoring,
filtering/sorting/paging a dialog list, opaque message-search cursors, and the
message-search runner that pages Telegram and stores what it finds.

Telegram calls live in ``tgscraper.telegram.dialogs_source`` / ``tgscraper.telegram.search``;
the HTTP side in ``tgscraper.web.search`` and ``tgscraper.web.dialogs``.
"""
