"""pytest fixtures for a running tgscraper app (filled in by the foundation work)."""
