"""``newskb serve``, ``newskb migrate`` and ``newskb seed``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli.common import DatabaseUrlOption, load_settings, open_engine, run_migrations, shown
from app.cli.output import stdout
from app.settings import get_settings, parse_networks


def serve(
    host: Annotated[
        str | None,
        typer.Option(
            metavar="HOST",
            help="Address to bind [default: NEWSKB_HOST, else 127.0.0.1]",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            help="Port to listen on [default: NEWSKB_PORT, else 8000]",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="Worker processes.")] = 1,
    reload: Annotated[
        bool,
        typer.Option("--reload", help="Restart when the code changes (development; one worker)."),
    ] = False,
    run_migrate: Annotated[
        bool,
        typer.Option("--migrate/--no-migrate", help="Migrate the database to head before serving."),
    ] = True,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            metavar="CIDR",
            help="Address or network of a reverse proxy whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed; repeat for several [default: NEWSKB_TRUSTED_PROXIES]",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Serve the API with uvicorn, after migrating the database to the latest revision.

    Example: `newskb serve --host 0.0.0.0 --port 8000 --workers 2 --trusted-proxy 10.0.0.5`
    """
    if reload and workers > 1:
        raise typer.BadParameter("--reload runs a single process; drop --workers.")
    # Workers import app.asgi in fresh processes: the environment is what reaches them. The app
    # needs the bind address too: without keys, it accepts writes only when that is loopback.
    given = {"NEWSKB_DATABASE_URL": database_url, "NEWSKB_HOST": host}
    if trusted_proxy is not None:
        try:
            networks = parse_networks(",".join(trusted_proxy))
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--trusted-proxy") from None
        given["NEWSKB_TRUSTED_PROXIES"] = ",".join(str(network) for network in networks)
    os.environ.update({name: value for name, value in given.items() if value is not None})
    get_settings.cache_clear()
    settings = load_settings(database_url)
    from app.logging import configure_logging, uvicorn_log_config

    # JSON lines from the first one: the migration is logged like the server's own lines.
    logger = configure_logging(settings.log_level).getChild("cli")
    if run_migrate:
        revision = run_migrations(settings)
        logger.info(
            "%s migrated to %s.",
            shown(settings.database_url),
            revision,
            extra={"revision": revision},
        )
    if not settings.cursor_secret:
        share_cursor_secret(settings.log_level)

    import uvicorn  # imported here: the other commands do not need it

    uvicorn.run(
        "app.asgi:app",
        host=settings.host,
        port=port if port is not None else settings.port,
        workers=workers,
        reload=reload,
        reload_dirs=[str(Path(__file__).resolve().parent.parent)] if reload else None,
        log_level=settings.log_level.lower(),
        log_config=uvicorn_log_config(settings.log_level),
        access_log=False,  # the app writes its own JSON access line per request
        # h11, not httptools: httptools accepts headers of any size (a 200 MB header was kept
        # in memory); h11 refuses a request whose head outgrows this many bytes.
        http="h11",
        h11_max_incomplete_event_size=settings.max_header_bytes,
        proxy_headers=False,  # the app reads them, from NEWSKB_TRUSTED_PROXIES only
    )


def share_cursor_secret(log_level: str) -> None:
    """Make one random cursor key for every worker: each would otherwise make its own, and a
    cursor from one worker would be a 400 on the others. Warned as a JSON log line, like the
    server's own."""
    from app.logging import configure_logging

    os.environ["NEWSKB_CURSOR_SECRET"] = secrets.token_urlsafe(32)
    get_settings.cache_clear()
    configure_logging(log_level).getChild("security").warning(
        "NEWSKB_CURSOR_SECRET is not set: pagination cursors are signed with a random key "
        "shared by this server's workers, and stop working when it restarts. Set "
        "NEWSKB_CURSOR_SECRET to keep them valid."
    )


def migrate(
    revision: Annotated[
        str, typer.Argument(help="Revision to upgrade to (an Alembic revision id).")
    ] = "head",
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create or upgrade the database schema (Alembic); running it again changes nothing.

    Example: `newskb migrate --database-url postgresql+psycopg://user@host/newskb`
    """
    settings = load_settings(database_url)
    if revision == "head":
        current = run_migrations(settings)
    else:
        from app.db import migrate as db_migrate

        with open_engine(settings) as engine:
            db_migrate.upgrade(engine, revision)
            current = db_migrate.current_revision(engine)
    stdout().print(f"{shown(settings.database_url)} is at revision {current}.")


def seed(database_url: DatabaseUrlOption = None) -> None:
    """Migrate, then ingest the seed articles (NEWSKB_SEED_DIR); running it twice changes nothing.

    Example: `newskb seed`
    """
    from app.seeding import seed as run_seed

    settings = load_settings(database_url)
    run_migrations(settings)  # a clean error for an unreachable database, before the NLP loads
    table = Table(title=f"Seeded {shown(settings.database_url)}", title_justify="left")
    table.add_column("File")
    table.add_column("Article", justify="right")
    table.add_column("Outcome")
    for result in run_seed(settings):
        table.add_row(
            result.path.name, str(result.article_id), "new" if result.created else "duplicate"
        )
    stdout().print(table)
