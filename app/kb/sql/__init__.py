"""Generic SQL helpers the kb use cases share; they know the dialects, not the domain."""
