"""``Progbar``'s metric bookkeeping as Keras 3's: ``stateful_metrics`` (shown as given)
or ``stateless_metrics`` (only these averaged), and a final line that shows the value
passed with the final update.  Compared with Keras's own Progbar at ``verbose=2``
(the timings, which differ run to run, are blanked out on both sides)."""
import re

import pytest

import cornu

keras = pytest.importorskip("keras")

UPDATES = [(1, [("loss", 4.0), ("acc", 0.5), ("lr", 0.1)]),
           (2, [("loss", 2.0), ("acc", 0.7), ("lr", 0.05)]),
           (4, [("loss", 1.0), ("acc", 0.9), ("lr", 0.01)])]


def _final_line(lib, capsys, finalize_with=None, **kwargs):
    bar = lib.utils.Progbar(4, verbose=2, **kwargs)
    for current, values in UPDATES[:-1]:
        bar.update(current, values)
    last_current, last_values = UPDATES[-1]
    bar.update(last_current, finalize_with or last_values)
    out = capsys.readouterr().out
    return re.sub(r"\d+(\.\d+)?(s|ms|us)(/step)?", "T", out).strip()


@pytest.mark.parametrize("kwargs", [{}, {"stateful_metrics": ["lr"]},
                                    {"stateless_metrics": ["loss"]},
                                    {"stateless_metrics": []}],
                         ids=["all-averaged", "stateful", "stateless", "none-averaged"])
def test_final_line_matches_keras(kwargs, capsys):
    ours = _final_line(cornu, capsys, **kwargs)
    theirs = _final_line(keras, capsys, **kwargs)
    assert ours == theirs
    assert "loss: 1.0000" in ours  # the final update's value, not the running mean


def test_running_values_average_only_the_averaged_metrics():
    bar = cornu.utils.Progbar(None, verbose=0, stateless_metrics=["loss"])
    bar.update(1, [("loss", 4.0), ("lr", 0.1)])
    bar.update(3, [("loss", 1.0), ("lr", 0.05)])
    # loss: (4 * 1 + 1 * 2) / 3 steps; lr shown as given
    assert bar._value("loss") == "2.0000" and bar._value("lr") == "0.0500"


def test_both_lists_are_refused():
    with pytest.raises(ValueError, match="stateful_metrics.*stateless_metrics"):
        cornu.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
