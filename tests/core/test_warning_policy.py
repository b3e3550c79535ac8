"""cornu's own warnings are one category users can filter, and the suite treats them as
errors (pytest.ini): a test that triggers one asserts it with ``pytest.warns``.

The scan reads every ``warnings.warn`` call in the packages' and examples' sources, so
a new call without ``category=CornuWarning`` (or a subclass of it) fails here.
"""
import ast
import configparser
import warnings
from pathlib import Path

import pytest

import cornu

ROOT = Path(__file__).resolve().parents[2]
#: CornuWarning and its subclasses, by the names the sources use.
CORNU_CATEGORIES = {"CornuWarning", "PluginWarning", "_SingleClassWarning"}


def _warn_calls():
    for path in sorted([*ROOT.glob("packages/*/src/**/*.py"), *ROOT.glob("examples/*/src/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "warn" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "warnings"):
                yield path.relative_to(ROOT), node


def _category(call):
    for keyword in call.keywords:
        if keyword.arg == "category":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def test_every_warning_cornu_emits_is_a_cornu_warning():
    calls = list(_warn_calls())
    assert len(calls) > 20  # the scan sees the sources
    wrong = [f"{path}:{call.lineno}" for path, call in calls
             if not (isinstance(_category(call), ast.Name) and _category(call).id in CORNU_CATEGORIES)]
    assert not wrong, f"warnings.warn without category=CornuWarning at {wrong}"


def test_the_named_subclasses_are_cornu_warnings():
    from cornu.plugins.manager import PluginWarning

    assert issubclass(cornu.CornuWarning, UserWarning)
    assert issubclass(PluginWarning, cornu.CornuWarning)


def test_the_suite_turns_cornu_warnings_into_errors():
    config = configparser.ConfigParser()
    config.read(ROOT / "pytest.ini")
    assert "error::cornu.CornuWarning" in config["pytest"]["filterwarnings"].split()
    with pytest.raises(cornu.CornuWarning, match="a message"):
        warnings.warn("a message", cornu.CornuWarning, stacklevel=1)


def test_users_filter_them_by_category(recwarn):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=cornu.CornuWarning)
        warnings.warn("hidden", cornu.CornuWarning, stacklevel=1)
        warnings.warn("shown", UserWarning, stacklevel=1)
    assert [str(w.message) for w in recwarn] == ["shown"]
