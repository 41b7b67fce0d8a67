import pytest
from nr_experiment.dag import check_new_dependencies, dependents_closure, topological_order
from nr_experiment.errors import DependencyError


def test_order_puts_parents_first_and_keeps_insertion_order() -> None:
    graph = {"c": ["a"], "a": [], "b": ["a"], "d": ["c", "b"]}
    assert topological_order(graph) == ["a", "c", "b", "d"]


def test_cycle_is_named() -> None:
    with pytest.raises(DependencyError, match="cycle a -> b -> a"):
        topological_order({"a": ["b"], "b": ["a"]})


def test_unknown_dependency_is_refused() -> None:
    with pytest.raises(DependencyError, match="unknown dependency 'x'"):
        topological_order({"a": ["x"]})
    with pytest.raises(DependencyError, match="unknown dependency 'x'"):
        check_new_dependencies("a", ["x"], ["b"])
    with pytest.raises(DependencyError, match="itself"):
        check_new_dependencies("a", ["a"], ["a"])
    check_new_dependencies("a", ["b"], ["b"])


def test_dependents_closure_is_transitive() -> None:
    graph = {"a": [], "b": ["a"], "c": ["b"], "d": []}
    assert dependents_closure(graph, ["a"]) == ["a", "b", "c"]
    assert dependents_closure(graph, ["d"]) == ["d"]
