"""Pure extraction: text or HTML in, frozen dataclasses with character offsets out (no DB, no HTTP)."""
