"""NewsKB: turn news articles into a knowledge base with provenance."""

__version__ = "0.1.0"
