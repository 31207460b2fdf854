"""Pure extraction: text or HTML in, frozen dataclasses with offsets out (no DB, no HTTP)."""
