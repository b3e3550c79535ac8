"""A family that is not installed, as the user meets it (issue 22).

``import cornu.optimizers`` and ``from cornu.optimizers import Adam`` name the
distribution to install, as ``cornu.optimizers`` does; ``compile(loss=...)`` without
cornu-optimizers names the default optimizer it tried; ``cornu plugins`` lists the
families that are missing and the backend ``CORNU_BACKEND`` selects.

A missing family is simulated in a fresh interpreter: before cornu is imported, the
standard path finder stops seeing the hidden modules (``cornu.optimizers`` and below)
and ``importlib.metadata`` stops seeing the hidden distributions (so their entry points
are not loaded either), whatever the layout of the install (editable or wheel).  In a
per-package session, where the family really is absent, hiding it changes nothing.
"""
import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

import cornu

HIDE = textwrap.dedent("""
    import importlib.machinery as _machinery
    _DISTS = {dists!r}
    _MODULES = tuple("cornu." + name for name in {families!r})
    _find_spec = _machinery.PathFinder.find_spec
    _find_distributions = _machinery.PathFinder.find_distributions

    def _hidden_spec(name, path=None, target=None):
        if name in _MODULES or name.startswith(tuple(m + "." for m in _MODULES)):
            return None
        return _find_spec(name, path, target)

    def _hidden_distributions(*args, **kwargs):
        for dist in _find_distributions(*args, **kwargs):
            if (dist.metadata["Name"] or "").lower().replace("_", "-") not in _DISTS:
                yield dist

    _machinery.PathFinder.find_spec = _hidden_spec
    _machinery.PathFinder.find_distributions = _hidden_distributions
""")


def _python(code, hide=("cornu-optimizers",), **env):
    """Run ``code`` in a fresh interpreter where the distributions ``hide`` are absent."""
    families = sorted(f for f, dist in cornu._FAMILIES.items() if dist in hide)
    prelude = HIDE.format(dists=set(hide), families=families)
    full_env = dict(os.environ)
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, env=full_env, timeout=180)


def _last_line(result):
    return result.stderr.strip().splitlines()[-1]


HINT = "cornu.optimizers is not installed: pip install cornu-optimizers"


def test_the_simulation_hides_the_family():
    result = _python("""
        import importlib.metadata as md
        import cornu
        from cornu.plugins import manager
        print(sorted(ep.name for ep in md.entry_points(group="cornu")))
        print(sorted(manager.plugin_infos()))
    """)
    assert result.returncode == 0, result.stderr
    assert "cornu-optimizers" not in result.stdout
    assert "cornu-core" in result.stdout


@pytest.mark.parametrize("statement", [
    "import cornu.optimizers",
    "from cornu.optimizers import Adam",
    "import cornu.optimizers.schedules",
    "from cornu.optimizers.schedules import ExponentialDecay",
    "import cornu; cornu.optimizers",
    "from cornu import optimizers",
])
def test_importing_a_missing_family_names_the_distribution(statement):
    result = _python(f"""
        try:
            {statement}
        except ModuleNotFoundError as err:
            print(type(err).__name__, err.name, "|", err)
        else:
            print("imported")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ModuleNotFoundError cornu.optimizers | {HINT}"


def test_uncaught_import_error_is_the_hint():
    result = _python("from cornu.optimizers import Adam")
    assert result.returncode == 1
    assert _last_line(result) == f"ModuleNotFoundError: {HINT}"


def test_losses_point_at_cornu_metrics():
    result = _python("import cornu.losses", hide=("cornu-metrics",))
    assert _last_line(result) == (
        "ModuleNotFoundError: cornu.losses is not installed: pip install cornu-metrics")


def _installed(dist):
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not _installed("cornu-layers"), reason="needs cornu-layers")
def test_installed_family_imports_as_before():
    """The finder answers only when nothing else finds the family."""
    result = _python("""
        import sys
        import cornu
        print(type(sys.meta_path[-1]).__name__)
        import cornu.layers
        print(cornu.layers.__name__)
        try:
            import cornu.not_a_family
        except ModuleNotFoundError as err:
            print(err)
    """, hide=())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "_MissingFamilyFinder", "cornu.layers", "No module named 'cornu.not_a_family'"]


def test_one_finder_however_often_cornu_is_imported():
    result = _python("""
        import sys
        import cornu
        for name in [m for m in sys.modules if m == "cornu" or m.startswith("cornu.")]:
            del sys.modules[name]
        import cornu
        print(sum(type(f).__name__ == "_MissingFamilyFinder" for f in sys.meta_path))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


def test_a_finder_added_later_still_finds_the_family():
    """A finder appended after cornu's (an import hook installed later) is asked first."""
    result = _python("""
        import importlib.abc, importlib.util, sys, types
        import cornu

        class Late(importlib.abc.MetaPathFinder, importlib.abc.Loader):
            def find_spec(self, name, path=None, target=None):
                if name == "cornu.optimizers":
                    return importlib.util.spec_from_loader(name, self)
            def create_module(self, spec):
                return types.ModuleType(spec.name)
            def exec_module(self, module):
                module.Adam = "from the late finder"

        sys.meta_path.append(Late())
        from cornu.optimizers import Adam
        print(Adam)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from the late finder"


# -- compile's default optimizer -------------------------------------------------------
def test_compile_without_optimizers_names_the_default():
    """Nothing registers an optimizer: the error says compile tried 'rmsprop', its
    default, and that cornu-optimizers is not installed."""
    result = _python("""
        import cornu
        model = cornu.Sequential()
        try:
            model.compile(loss="mse")
        except ModuleNotFoundError as err:
            print(err.name, "|", err)
    """, hide=("cornu-optimizers", "cornu-testplugin"))
    assert result.returncode == 0, result.stderr
    out = result.stdout.strip()
    assert out.startswith("cornu.optimizers | compile() resolves optimizer='rmsprop' (its "
                          "default when no optimizer is passed) and could not: "), out
    assert HINT in out and "Pass optimizer=..." in out


@pytest.mark.skipif(not _installed("cornu-testplugin"), reason="needs cornu-testplugin")
def test_compile_names_the_default_when_other_optimizers_exist():
    """A plugin registers other optimizers (cornu-testplugin's plain_gd): the error is
    an unknown name, with the default named and the missing family's hint."""
    result = _python("""
        import cornu

        def loss(y_true, y_pred):  # a function: tests-core has no cornu-metrics
            return y_pred

        try:
            cornu.Sequential().compile(loss=loss)
        except ValueError as err:
            print(err)
        cornu.Sequential().compile(optimizer="plain_gd", loss=loss)
        print("plain_gd resolves")
    """)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("compile() resolves optimizer='rmsprop'"), first
    assert "Unknown optimizer: 'rmsprop'" in first
    assert f"({HINT}.)" in first
    assert result.stdout.splitlines()[1] == "plain_gd resolves"


def test_other_unknown_optimizer_names_are_unchanged():
    with pytest.raises((ValueError, ModuleNotFoundError)) as info:  # (no optimizer at all)
        cornu.Sequential().compile(optimizer="adamm", loss="mse")
    assert str(info.value).startswith(("Unknown optimizer: 'adamm'.",
                                       "No optimizer named 'adamm'")), str(info.value)
    assert "compile() resolves" not in str(info.value)


# -- cornu plugins ---------------------------------------------------------------------
_CLI = "import sys; from cornu.cli import main; sys.exit(main(sys.argv[1:] or ['plugins']))"


def _cli(*args, hide=("cornu-optimizers", "cornu-metrics"), **env):
    code = _CLI.replace("sys.argv[1:]", repr(list(args)))
    return _python(code, hide=hide, **env)


def test_cli_lists_missing_families_with_their_install_command(backend_name):
    result = _cli(CORNU_BACKEND=backend_name)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    families = out.split("\nFamilies:\n")[1].split("\n\n")[0].splitlines()
    for module, dist in [("cornu.optimizers", "cornu-optimizers"),
                         ("cornu.metrics", "cornu-metrics"), ("cornu.losses", "cornu-metrics")]:
        assert f"  {module:<18} not installed: pip install {dist}" in families, out
    assert len(families) == len(cornu._FAMILIES)


def test_cli_marks_the_backend_cornu_backend_selects(backend_name):
    result = _cli(CORNU_BACKEND=backend_name)
    assert result.returncode == 0, result.stderr
    backends = result.stdout.split("\nFamilies:")[0]
    marked = [line for line in backends.splitlines() if "(selected" in line]
    assert len(marked) == 1 and marked[0].split()[0] == backend_name, backends
    assert marked[0].endswith("(selected by CORNU_BACKEND)")


def test_cli_says_the_selected_backend_is_not_installed():
    result = _cli(CORNU_BACKEND="mxnet")
    assert result.returncode == 0, result.stderr
    assert ("  'mxnet', selected by CORNU_BACKEND, is not installed: pip install "
            "cornu-backend-mxnet") in result.stdout
    assert "(selected" not in result.stdout


def test_cli_json_has_families_and_the_selection(backend_name):
    result = _cli("plugins", "--json", CORNU_BACKEND=backend_name)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    families = {f["module"]: f for f in data["families"]}
    assert families["cornu.optimizers"] == {
        "module": "cornu.optimizers", "distribution": "cornu-optimizers",
        "installed": False, "version": None}
    assert data["selected_backend"]["name"] == backend_name
    assert data["selected_backend"]["source"] == "CORNU_BACKEND"
    assert data["selected_backend"]["installed"] is True
