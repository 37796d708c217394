"""tgscraper: read Telegram chats through your own account and serve them over HTTP."""

__version__ = "3.0.0"
