"""The knowledge base: every read and write of the database goes through here."""
