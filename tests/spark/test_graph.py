import pytest

from codecurate.spark.graph import GraphError, connected_components


@pytest.fixture(params=["rounds", "driver"])
def solver(request):
    """Every graph is solved both ways: in Spark rounds, and collected and solved on the driver."""
    return request.param


def _components(spark, edges, schema="src string, dst string", max_rounds=100, solver="rounds"):
    frame = spark.createDataFrame(edges, schema)
    driver_max_edges = 1000 if solver == "driver" else 0
    labels, rounds = connected_components(frame, lambda df: df.localCheckpoint(), max_rounds, driver_max_edges)
    id_type = frame.schema["src"].dataType
    assert [(f.name, f.dataType) for f in labels.schema] == [("id", id_type), ("component", id_type)]
    if solver == "driver":
        assert rounds == 0
    return {row["id"]: row["component"] for row in labels.collect()}, rounds


def test_chain_written_backwards_collapses_to_its_smallest_id(spark, solver):
    # a chain is the worst case for label propagation: 7 nodes, diameter 6
    edges = [("g", "f"), ("f", "e"), ("e", "d"), ("d", "c"), ("c", "b"), ("b", "a")]
    labels, rounds = _components(spark, edges, solver=solver)
    assert labels == {n: "a" for n in "abcdefg"}
    assert rounds >= 1 or solver == "driver"


def test_star_two_components_self_loops_and_repeats(spark, solver):
    edges = [
        ("hub", "x1"), ("x2", "hub"), ("hub", "x3"), ("x3", "hub"),  # star around "hub"
        ("p", "q"), ("q", "r"), ("r", "p"),  # triangle
        ("solo", "solo"),  # only a self loop
        ("q", "q"),  # self loop inside a component
    ]
    labels, _ = _components(spark, edges, solver=solver)
    assert labels == {
        "hub": "hub", "x1": "hub", "x2": "hub", "x3": "hub",
        "p": "p", "q": "p", "r": "p",
        "solo": "solo",
    }


def test_long_ids_and_a_tree_joined_at_the_leaves(spark, solver):
    edges = [(10, 20), (20, 30), (30, 5), (40, 41), (41, 42), (42, 40), (7, 99), (99, 8)]
    labels, _ = _components(spark, edges, "src long, dst long", solver=solver)
    assert labels == {10: 5, 20: 5, 30: 5, 5: 5, 40: 40, 41: 40, 42: 40, 7: 7, 99: 7, 8: 7}


def test_a_graph_needing_rounds_fails_loudly_when_not_allowed_any(spark):
    with pytest.raises(GraphError, match="did not converge in 0 rounds"):
        _components(spark, [("c", "b"), ("b", "a")], max_rounds=0)


def test_empty_graph(spark, solver):
    labels, rounds = _components(spark, [], solver=solver)
    assert labels == {} and rounds == 0


def test_a_graph_over_the_driver_limit_goes_to_the_rounds(spark):
    edges = [("c", "b"), ("b", "a"), ("x", "y")]
    frame = spark.createDataFrame(edges, "src string, dst string")
    labels, rounds = connected_components(frame, lambda df: df.localCheckpoint(), 100, driver_max_edges=2)
    assert rounds >= 1
    assert {r["id"]: r["component"] for r in labels.collect()} == {"a": "a", "b": "a", "c": "a", "x": "x", "y": "x"}
