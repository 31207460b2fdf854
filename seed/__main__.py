"""``python -m seed``: migrate the database, then ingest every document in the seed folder."""

from app.seeding import main

if __name__ == "__main__":
    raise SystemExit(main())
