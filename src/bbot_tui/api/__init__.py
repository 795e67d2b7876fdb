"""The HTTP layer: models, client and errors (no Textual here)."""
