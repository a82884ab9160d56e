"""Reading query plans in tests: what each database says it will do with a statement."""

import json

from sqlalchemy import Connection, text


def sqlite_plan(conn: Connection, sql: str) -> list[str]:
    """EXPLAIN QUERY PLAN's lines ("SEARCH plans USING INDEX ...") for `sql`."""
    return [row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]


def postgres_nodes(conn: Connection, sql: str) -> list[dict]:
    """Every node of PostgreSQL's plan for `sql` (EXPLAIN (FORMAT JSON)), the root first."""
    explained = conn.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar()
    plan = explained[0] if isinstance(explained, list) else json.loads(explained)[0]
    nodes, pending = [], [plan["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes
