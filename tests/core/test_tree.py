"""``cornu.tree`` against ``keras.tree`` (Keras 3.15.1) on the same structures.

Keras is the reference where it is installed (tests/core also runs with cornu-core
alone: there the hand-written expectations of the last test still run).
"""
import collections

import pytest

from cornu import tree

Point = collections.namedtuple("Point", "x y")


def structures():
    return [
        5, None, [], (), {}, [None, 1], [1, (2, 3), {"b": 4, "a": [5, 6]}],
        {"b": 1, "a": 2}, collections.OrderedDict(b=1, a=2), Point(1, [2, 3]),
        {"k": Point(1, 2), "j": (None, [7])}, {1: "x", 0: "y"},
    ]


def _keras_tree():
    keras = pytest.importorskip("keras")
    return keras.tree


def test_flatten_and_paths_match_keras():
    ktree = _keras_tree()
    for s in structures():
        assert tree.flatten(s) == ktree.flatten(s), s
        assert tree.flatten_with_path(s) == ktree.flatten_with_path(s), s
        assert tree.is_nested(s) == ktree.is_nested(s), s


def test_rebuilding_matches_keras_and_keeps_node_types():
    ktree = _keras_tree()
    for s in structures():
        flat = [f"leaf{i}" for i in range(len(tree.flatten(s)))]
        ours, theirs = tree.pack_sequence_as(s, flat), ktree.pack_sequence_as(s, flat)
        assert ours == theirs and type(ours) is type(theirs), s
        mapped = tree.map_structure(repr, s)
        assert mapped == ktree.map_structure(repr, s), s
        assert type(mapped) is type(s) or not tree.is_nested(s)
        assert tree.lists_to_tuples(s) == ktree.lists_to_tuples(s), s
    pair = ([1, (2, 3)], [10, (20, 30)])
    assert tree.map_structure(lambda a, b: a + b, *pair) == [11, (22, 33)]
    assert tree.map_structure(lambda a, b: (a, b), Point(1, 2), Point(3, 4)) == Point(
        (1, 3), (2, 4))


def test_shapes_up_to_and_traverse_match_keras():
    ktree = _keras_tree()
    shapes = [[(1, 2), (3, None, 4)], {"a": (1, 2)}, (1, (2, 3)), (), [(1, 2), [None]]]
    for s in shapes:
        assert tree.map_shape_structure(repr, s) == ktree.map_shape_structure(repr, s), s
    for shallow, deep in [([0, 0], [[1, 2], (3, 4)]), ({"a": 0, "b": 0}, {"a": [1], "b": (2,)})]:
        assert tree.map_structure_up_to(shallow, repr, deep) == ktree.map_structure_up_to(
            shallow, repr, deep)
    s = [1, [2, 3], {"a": (4, None)}]

    def tenfold(x):
        return None if tree.is_nested(x) or x is None else x * 10

    def drop_two(mod):
        return lambda x: mod.MAP_TO_NONE if x == 2 else None

    def double(x):
        return x * 2 if isinstance(x, int) else None

    for fn_ours, fn_keras in [(tenfold, tenfold), (drop_two(tree), drop_two(ktree))]:
        assert tree.traverse(fn_ours, s) == ktree.traverse(fn_keras, s)
    assert tree.traverse(double, s, top_down=False) == ktree.traverse(double, s, top_down=False)
    seen, kseen = [], []
    tree.traverse(seen.append, s)
    ktree.traverse(kseen.append, s)
    assert seen == kseen


def test_structure_assertions_raise_as_keras():
    ktree = _keras_tree()
    cases = [([1, 2], [1, [2]]), ([1, 2], (1, 2)), ({"a": 1}, {"b": 1}), ([1, 2], [3, 4]),
             (Point(1, 2), (1, 2)), ([1, 2], [1])]
    for a, b in cases:
        try:
            ktree.assert_same_structure(a, b)
            expected = None
        except ValueError:
            expected = ValueError
        if expected is None:
            tree.assert_same_structure(a, b)
        else:
            with pytest.raises(ValueError):
                tree.assert_same_structure(a, b)
    tree.assert_same_paths([1, 2], (3, 4))
    ktree.assert_same_paths([1, 2], (3, 4))
    with pytest.raises(ValueError, match="don't have the same paths"):
        tree.assert_same_paths({"a": 1}, {"b": 1})


def test_mismatches_and_wrong_lengths_are_clear_errors():
    with pytest.raises(ValueError, match="Node arity mismatch; expected 2, but got 1"):
        tree.map_structure(lambda a, b: a, [1, 2], [1])
    with pytest.raises(ValueError, match="Node type mismatch"):
        tree.map_structure(lambda a, b: a, [1, 2], (1, 2))
    with pytest.raises(ValueError, match="missing key"):
        tree.map_structure(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="has 1 items but the structure holds 2"):
        tree.pack_sequence_as([0, 0], [1])
    assert tree.pack_sequence_as(5, [7]) == 7
    assert tree.flatten(collections.OrderedDict(b=1, a=2)) == [1, 2]  # insertion order
    assert tree.flatten({"b": 1, "a": 2}) == [2, 1]                    # sorted keys
