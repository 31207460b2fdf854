"""Persistence: SQLAlchemy 2 models and engine set-up."""
