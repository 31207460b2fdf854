#!/bin/sh
# Container start: migrate the database to head, then run the command (uvicorn by default).
#
# Migrating here, once, before the server forks its workers, keeps workers from racing on the
# schema. Migrating is idempotent; a database that is still starting is retried a few times
# (NEWSKB_MIGRATE_ATTEMPTS, 3 s apart) before the container gives up and exits non-zero.
set -eu

attempts="${NEWSKB_MIGRATE_ATTEMPTS:-10}"
try=1
until newskb migrate; do
    if [ "$try" -ge "$attempts" ]; then
        echo "newskb-entrypoint: migration failed $try time(s); giving up." >&2
        exit 1
    fi
    echo "newskb-entrypoint: migration failed (attempt $try of $attempts); retrying in 3 s." >&2
    try=$((try + 1))
    sleep 3
done
# One cursor key for every worker (each would otherwise make its own): random, so cursors stop
# working when the container restarts. Set NEWSKB_CURSOR_SECRET to keep them.
if [ -z "$(printf '%s' "${NEWSKB_CURSOR_SECRET:-}" | tr -d '[:space:]')" ]; then
    NEWSKB_CURSOR_SECRET="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
    export NEWSKB_CURSOR_SECRET
    echo "newskb-entrypoint: NEWSKB_CURSOR_SECRET is not set; cursors are signed with a random key" \
        "and stop working when the container restarts." >&2
fi
exec "$@"
