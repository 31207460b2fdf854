"""Pydantic models at the HTTP boundary (request bodies and answers)."""
