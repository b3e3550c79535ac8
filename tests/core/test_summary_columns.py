"""model.summary() shows the "Connected to" column only where Keras 3 does.

Keras 3 prints a functional model whose graph is a single chain (one input, no merge,
no branch, no shared layer) like a Sequential: three columns.  Any other functional
model gets the fourth column, "Connected to".
"""
import pytest

import cornu

# The models are built of cornu-layers' Dense; cornu-core's own session installs no family.
layers = pytest.importorskip("cornu.layers")


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def _chain(lib):
    inputs = lib.Input((4,), name="x")
    hidden = lib.layers.Dense(3, name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="out")(hidden), name="chain")


def _branch(lib):
    inputs = lib.Input((4,), name="x")
    a = lib.layers.Dense(3, name="a")(inputs)
    b = lib.layers.Dense(3, name="b")(inputs)
    return lib.Model(inputs, [a, b], name="branch")


def _merge(lib):
    left, right = lib.Input((4,), name="l"), lib.Input((4,), name="r")
    return lib.Model([left, right], lib.layers.Add(name="add")([left, right]), name="merge")


def _shared(lib):
    inputs = lib.Input((4,), name="x")
    dense = lib.layers.Dense(4, name="shared")
    return lib.Model(inputs, dense(dense(inputs)), name="shared_twice")


def test_a_chain_prints_like_a_sequential():
    text = _summary(_chain(cornu))
    assert "Connected to" not in text
    assert "hidden (Dense)" in text and "(None, 2)" in text
    sequential = cornu.Sequential([cornu.Input((4,)), layers.Dense(3, name="hidden"),
                                   layers.Dense(2, name="out")], name="chain")
    header = [line for line in _summary(sequential).splitlines() if "Layer (type)" in line]
    assert header == [line for line in text.splitlines() if "Layer (type)" in line]


@pytest.mark.parametrize("make", [_branch, _merge, _shared], ids=["branch", "merge", "shared"])
def test_other_graphs_show_their_connections(make):
    text = _summary(make(cornu))
    assert "Connected to" in text


@pytest.mark.parametrize("make", [_chain, _branch, _merge, _shared],
                         ids=["chain", "branch", "merge", "shared"])
def test_the_columns_match_keras(make):
    keras = pytest.importorskip("keras")
    theirs = []
    make(keras).summary(print_fn=lambda line, **_: theirs.extend(line.splitlines()))
    assert ("Connected to" in "\n".join(theirs)) == ("Connected to" in _summary(make(cornu)))
