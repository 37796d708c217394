"""pytest fixtures for a running fakegram (filled in by the fakegram work)."""
