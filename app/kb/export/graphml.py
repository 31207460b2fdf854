"""GraphML (for Gephi, yEd, Cytoscape, networkx): the graph of ``graph.py``, written as it is
read. Every attribute is declared up front with its type; an absent value has no ``<data>``.
The graph is directed; a ``CO_MENTIONED`` edge runs from the lower entity id to the higher.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy.orm import Session

from app.kb.export.graph import Edge, Node, Value, iter_edges, iter_nodes

NODE_KEYS: dict[str, str] = {
    "labels": "string",
    "name": "string",
    "type": "string",
    "aliases": "string",
    "country_code": "string",
    "wikidata_id": "string",
    "mention_count": "int",
    "article_count": "int",
    "status": "string",
    "summary": "string",
    "date_start": "string",
    "date_end": "string",
    "trigger": "string",
    "title": "string",
    "url": "string",
    "published_at": "string",
    "source": "string",
}
EDGE_KEYS: dict[str, str] = {
    "label": "string",
    "articles": "int",
    "sentences": "int",
    "weight": "int",
    "role": "string",
    "quote_id": "int",
    "text": "string",
    "direct": "boolean",
    "main": "boolean",
}
# Characters XML 1.0 does not allow, even escaped (control characters but tab, LF, CR).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iter_document(session: Session, *, batch_size: int) -> Iterator[str]:
    yield _header()
    for node in iter_nodes(session, batch_size=batch_size):
        yield _node(node)
    for edge in iter_edges(session, batch_size=batch_size):
        yield _edge(edge)
    yield "</graph>\n</graphml>\n"


def _header() -> str:
    keys = [
        f'<key id="n_{name}" for="node" attr.name="{name}" attr.type="{kind}"/>'
        for name, kind in NODE_KEYS.items()
    ] + [
        f'<key id="e_{name}" for="edge" attr.name="{name}" attr.type="{kind}"/>'
        for name, kind in EDGE_KEYS.items()
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
        + "\n".join(keys)
        + '\n<graph id="newskb" edgedefault="directed">\n'
    )


def _node(node: Node) -> str:
    data = _data("n", {"labels": ":".join(node.labels), **node.props})
    return f"<node id={quoteattr(node.id)}>{data}</node>\n"


def _edge(edge: Edge) -> str:
    data = _data("e", {"label": edge.label, **edge.props})
    return (
        f"<edge id={quoteattr(edge.id)} source={quoteattr(edge.source)} "
        f"target={quoteattr(edge.target)}>{data}</edge>\n"
    )


def _data(domain: str, values: dict[str, Value]) -> str:
    return "".join(
        f'<data key="{domain}_{name}">{escape(_text(value))}</data>'
        for name, value in values.items()
        if value is not None and value != ""
    )


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return _NOT_XML.sub("", str(value))
