"""The graph behind the GraphML and Neo4j exports: live entities only, edges between nodes,
counts that do not depend on the batch they were read in."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Entity, EntityStats
from app.kb import curate
from app.kb.export.graph import iter_edges, iter_nodes


def test_every_edge_joins_two_exported_nodes(session: Session) -> None:
    nodes = {n.id for n in iter_nodes(session, batch_size=7)}
    edges = list(iter_edges(session, batch_size=7))
    assert edges
    assert all(e.source in nodes and e.target in nodes for e in edges)


def test_a_merged_entity_is_no_node_and_its_co_mentions_move(session: Session) -> None:
    busiest = session.scalars(
        select(Entity.id)
        .join(EntityStats, EntityStats.entity_id == Entity.id)
        .where(Entity.type == "person")
        .order_by(EntityStats.mention_count.desc(), Entity.id)
        .limit(2)
    ).all()
    gone, kept = busiest
    before = {e.target for e in iter_edges(session, batch_size=50) if e.source == f"e{gone}"}
    curate.merge_entities(session, gone, kept)
    nodes = {n.id for n in iter_nodes(session, batch_size=50)}
    edges = list(iter_edges(session, batch_size=50))
    assert f"e{gone}" not in nodes
    assert all(f"e{gone}" not in (e.source, e.target) for e in edges)
    linked = {e.source for e in edges if e.target == f"e{kept}"}
    linked |= {e.target for e in edges if e.source == f"e{kept}"}
    assert before - {f"e{kept}"} <= linked


def test_co_mention_counts_do_not_depend_on_the_batch_size(session: Session) -> None:
    def co_mentions(batch_size: int) -> dict[str, dict[str, object]]:
        return {
            e.id: e.props
            for e in iter_edges(session, batch_size=batch_size)
            if e.label == "CO_MENTIONED"
        }

    assert co_mentions(1) == co_mentions(1000)
