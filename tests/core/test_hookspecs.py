"""Every hook of ``cornu.plugins.hookspecs`` is documented, in its docstring and in
docs/plugins.md, and exercised by a test (datasette's meta-tests): the meta-tests below read
the hook specifications through pluggy, so a new hook fails them until it has all three."""
import ast
import inspect
import os
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pluggy
import pytest

from cornu.engine import compile_utils
from cornu.plugins import Context, hookimpl, hookspecs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "plugins.md"

REGISTRATION_TEST = "test_hookspecs.py::test_a_registration_hook_fills_its_kind"
#: hook -> the tests that exercise it ("file::function", the file under tests/core).  Every
#: registration hook (``hookspecs.REGISTER_HOOKS``) is run by the parametrized
#: REGISTRATION_TEST; some have other tests too.
HOOK_TESTS = {
    **{hook: [REGISTRATION_TEST] for hook in hookspecs.REGISTER_HOOKS.values()},
    "cornu_register_activations": [
        REGISTRATION_TEST, "test_plugins.py::test_runtime_plugin_registers_and_unregisters"],
    "cornu_resolve_metric": ["test_hookspecs.py::test_resolve_metric_first_answer_wins"],
    "cornu_backend_selected": [
        "test_hookspecs.py::test_backend_selected_reaches_contexts_loaded_before_binding",
        "test_plugins_isolation.py::test_backend_selected_reaches_contexts_loaded_later",
    ],
}


def _hooks():
    """``{name: spec function}`` of every hook, as pluggy reads the module."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    names = [n for n in dir(pm.hook) if n.startswith(f"{hookspecs.PROJECT_NAME}_")]
    return {name: getattr(hookspecs, name) for name in names}


HOOKS = _hooks()


def test_pluggy_sees_every_hookspec_function():
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    specs = {name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if getattr(fn, marker, None) is not None}
    assert specs == set(HOOKS) and len(HOOKS) >= 15


def _sections(doc):
    """``(text before Args:, {section: its text})`` of a Google-style docstring."""
    parts = re.split(r"^(Args|Returns):[ \t]*$", doc, flags=re.M)
    return parts[0], dict(zip(parts[1::2], parts[2::2]))


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_has_args_returns_and_when_it_is_called(name):
    doc = inspect.getdoc(HOOKS[name])
    assert doc, f"{name} has no docstring"
    _, sections = _sections(doc)
    params = list(inspect.signature(HOOKS[name]).parameters)
    if params:
        assert "Args" in sections, f"{name}: no Args: section"
        documented = re.findall(r"^    (\w+):", sections["Args"], flags=re.M)
        assert documented == params, f"{name}: Args names {documented}, the hook takes {params}"
    assert sections.get("Returns", "").strip(), f"{name}: no Returns: section"
    assert re.search(r"\bCalled\b", doc), f"{name}: no sentence saying when it is Called"


def _doc_entries(text):
    """``{hook name: what its entry says}`` for each heading, list item or table row of
    docs/plugins.md whose first words name a hook (``\\`cornu_x\\``` or ``\\`cornu_x(...)\\```)."""
    entries = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            head, rest = cells[0], " ".join(c for c in cells[1:] if c not in ("", "-"))
        elif re.match(r"(#+|[-*]|\d+\.)\s", stripped):
            head = rest = re.sub(r"^(#+|[-*]|\d+\.)\s+", "", stripped)
            if stripped.startswith("#"):  # a heading: what it is for is the next paragraph
                rest = next((n for n in lines[i + 1:] if n.strip()), "")
            else:
                rest = rest.split("`", 2)[-1]
        else:
            continue
        match = re.match(r"`(cornu_\w+)[(`]", head)
        if match and rest.strip(" :-"):
            entries.setdefault(match.group(1), rest.strip())
    return entries


def test_every_hook_has_an_entry_in_the_plugin_guide():
    entries = _doc_entries(DOCS.read_text())
    missing = sorted(set(HOOKS) - set(entries))
    assert not missing, f"docs/plugins.md has no entry (heading, list item, table row) for {missing}"
    unknown = sorted(set(entries) - set(HOOKS))
    assert not unknown, f"docs/plugins.md documents hooks that do not exist: {unknown}"


def test_the_doc_entries_parser_finds_each_form():
    text = textwrap.dedent("""
        ## `cornu_a(x)`

        What a is for.

        - `cornu_b`: what b is for
        | `cornu_c(register)` | - | what c is for |
        | `cornu_d(register)` | - | - |
        - `cornu_e`
    """)
    assert sorted(_doc_entries(text)) == ["cornu_a", "cornu_b", "cornu_c"]


def _test_functions(path):
    """The names of the top-level test functions of a test file (read, not run)."""
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_hook_is_exercised_by_a_test():
    assert sorted(HOOK_TESTS) == sorted(HOOKS), "HOOK_TESTS must name the tests of every hook"
    here = Path(__file__).parent
    for hook, tests in HOOK_TESTS.items():
        assert tests, hook
        for test in tests:
            file, _, function = test.partition("::")
            assert function in _test_functions(here / file), f"{hook}: {test} does not exist"
            # The test's file implements the hook (a plugin in the test), or the test is
            # the parametrized one that implements each registration hook in turn.
            assert hook in (here / file).read_text() or (
                test == REGISTRATION_TEST and hook in hookspecs.REGISTER_HOOKS.values()), \
                f"{hook}: {test} does not implement it"


# -- the hooks' own tests ----------------------------------------------------------------------


class _Component:
    """Stands for a component of any kind: the registry stores what it is given."""


@pytest.mark.parametrize("kind, hook", sorted(hookspecs.REGISTER_HOOKS.items()))
def test_a_registration_hook_fills_its_kind(kind, hook):
    """A plugin implementing ``hook`` (any kind in ``hookspecs.REGISTER_HOOKS``) gets a
    ``register`` callback; what it registers resolves under that kind, by name and by alias,
    is owned by the plugin, and stays out of every other kind and context."""
    calls = []

    def implementation(register):
        calls.append(register)
        assert register(_Component, name=f"hookspec_{kind}", aliases=(f"hs_{kind}",)) \
            is _Component

    plugin = types.ModuleType(f"hookspec_{kind}_plugin")
    setattr(plugin, hook, hookimpl(implementation))
    ctx = Context(entry_points=False, extra={"hookspec-plugin": plugin})
    assert ctx.registry.get(kind, f"hookspec_{kind}") is _Component
    assert ctx.registry.get(kind, f"HS_{kind}") is _Component  # aliases, case-insensitive
    assert ctx.registry.owner(kind, f"hookspec_{kind}") == "hookspec-plugin"
    assert len(calls) == 1  # the registry is built once, on the first lookup
    for other in hookspecs.KINDS:
        if other != kind:
            assert ctx.registry.lookup(other, f"hookspec_{kind}") is None
    assert Context(entry_points=False).registry.lookup(kind, f"hookspec_{kind}") is None
    ctx.unregister("hookspec-plugin")  # the tables are rebuilt without it
    assert ctx.registry.lookup(kind, f"hookspec_{kind}") is None


def test_resolve_metric_first_answer_wins():
    """``cornu_resolve_metric`` (firstresult) gets the entry, the loss and the output shape;
    a plugin returning None lets the next one answer; a metric object skips the hook."""
    seen = []
    answer = object()

    class Answers:
        @hookimpl
        def cornu_resolve_metric(identifier, loss, output_shape):
            seen.append(("answers", identifier, loss, output_shape))
            return answer if identifier == "hookspec_metric" else None

    class Declines:  # registered last: pluggy asks it first
        @hookimpl
        def cornu_resolve_metric(identifier, loss, output_shape):
            seen.append(("declines", identifier))
            return None

    def loss(y_true, y_pred):
        return y_pred

    ctx = Context(entry_points=False, extra={"answers": Answers, "declines": Declines})
    with ctx:
        assert compile_utils.resolve_metric("hookspec_metric", loss, (None, 3)) is answer
        assert seen == [("declines", "hookspec_metric"),
                        ("answers", "hookspec_metric", loss, (None, 3))]

        class Metric:
            def update_state(self, *args):
                pass

        metric = Metric()
        assert compile_utils.resolve_metric(metric, loss, (None, 3)) is metric
        assert len(seen) == 2


def test_backend_selected_reaches_contexts_loaded_before_binding():
    """A context whose plugins are loaded before the backend is bound hears
    ``cornu_backend_selected`` when the first op binds it (cornu.backend tells
    cornu.plugins.manager through its subscription, without importing it), exactly once."""
    code = textwrap.dedent("""
        import cornu
        from cornu.plugins import Context, hookimpl

        seen = []

        class Listener:
            @hookimpl
            def cornu_backend_selected(backend):
                seen.append(backend.NAME)

        ctx = Context(entry_points=False, extra={"listener": Listener})
        ctx.plugin_manager  # the plugins load now, the backend is not bound yet
        print(cornu.backend.is_bound(), seen)
        cornu.ops.add(1, 2)
        cornu.ops.add(1, 2)
        print(seen == [cornu.config.backend()])
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, CORNU_PLUGINS=""), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "[]", "True"], result.stdout
