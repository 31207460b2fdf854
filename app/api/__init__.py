"""HTTP API: thin routers over ``app.kb``, wrapped in app-wide middleware.

- ``routers/``: the endpoints, one module per resource. They parse the request, call
  ``app.kb`` and shape the answer with ``app.schemas``; no SQL, no ``sqlalchemy`` or ``app.db``
  import (enforced by ``routers/ruff.toml``).
- ``middleware/``: what wraps every request and is installed once by ``app.main.create_app``:
  the ASGI middleware (request context, body-size limit, rate limit, read cache), the key
  checks (``security``: dependencies every router gets, and the rate limiter's key test), the
  problem+json exception handlers and the OpenAPI error documentation. Same import rule
  (``middleware/ruff.toml``): the read cache asks ``app.kb`` for the knowledge-base version.
- Here, shared by the routers: ``deps`` (session, settings, cursor codec, path and paging
  parameters), ``params`` (article filter query parameters), ``pages`` (``Link`` and ``ETag``
  headers, hit rows to schemas) and ``conditional`` (ETag / ``If-None-Match``). ``deps`` is the
  one place that names the ``Session`` type; it owns the session's lifetime per request.
"""
