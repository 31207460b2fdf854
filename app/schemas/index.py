from pydantic import Field

from app.schemas.common import Schema


class ApiIndex(Schema):
    """What `GET /` answers: where to start reading and calling the API."""

    name: str = Field(examples=["NewsKB"])
    version: str = Field(examples=["0.1.0"])
    description: str = Field(
        examples=["News articles turned into a knowledge base with provenance."]
    )
    links: dict[str, str] = Field(
        description="Documentation, schema, probes and metrics, by name.",
        examples=[{"docs": "/docs", "redoc": "/redoc", "openapi": "/openapi.json"}],
    )
    resources: dict[str, str] = Field(
        description="Every `/v1` collection, by name.",
        examples=[{"articles": "/v1/articles", "entities": "/v1/entities"}],
    )
