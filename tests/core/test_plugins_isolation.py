"""Plugin contexts, disabling, broken/incompatible plugins, conflicts and `cornu plugins`.

Third-party distributions are real (if tiny) installed distributions: a
``*.dist-info`` folder with METADATA and entry_points.txt next to the plugin
module, on ``sys.path`` (in-process) or ``PYTHONPATH`` (subprocesses), so
``importlib.metadata`` discovers them exactly as it discovers a pip install.
"""
import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest

import cornu
from cornu.plugins import (
    HOOKSPEC_VERSION,
    Context,
    PluginWarning,
    RegistrationError,
    current_context,
    default_context,
    hookimpl,
    manager,
    registry,
)
from cornu.serialization import deserialize_cornu_object as deserialize_keras_object


def _fake_dist(root, dist, version, module, source, ep_name=None):
    """Install distribution ``dist`` into ``root``: module ``module`` + its entry point."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[cornu]\n{ep_name or dist} = {module}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path where _fake_dist installs distributions."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("h7fake_")]:
        del sys.modules[name]


def _env(site_dir, **extra):
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(site_dir)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _python(code, env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


ACTIVATION_PLUGIN = """
    from cornu.plugins import hookimpl
    CORNU_HOOKSPEC_VERSION = {version!r}

    def {fn}(x):
        return x * {factor}

    @hookimpl
    def cornu_register_activations(register):
        register({fn}, name={name!r})
"""


# -- contexts -------------------------------------------------------------------------------
def test_restricted_context_sees_only_its_plugins():
    assert registry.get("layer", "ScaledDense").__name__ == "ScaledDense"  # default context
    with Context(plugins=[]) as bare:
        assert current_context() is bare
        assert registry.lookup("layer", "ScaledDense") is None
        assert registry.get("activation", "relu") is cornu.activations.relu  # core always
        assert sorted(manager.plugin_infos()) == ["cornu-core"]
        with pytest.raises(ValueError, match="Unknown layer: 'ScaledDense'"):
            registry.get("layer", "ScaledDense")
        with Context(plugins=["cornu-testplugin"]) as only_test:
            assert sorted(only_test.infos()) == ["cornu-core", "cornu-testplugin"]
            assert registry.get("layer", "ScaledDense").__module__ == "cornu_testplugin.components"
        assert current_context() is bare  # nested contexts unwind
    assert current_context() is default_context()
    assert registry.get("layer", "ScaledDense").__name__ == "ScaledDense"


def test_saved_configs_resolve_in_the_current_context():
    config = {"module": None, "class_name": "ScaledDense",
              "config": {"units": 3, "scale": 2.0, "name": "sd"}, "registered_name": None}
    layer = deserialize_keras_object(config)
    assert type(layer).__name__ == "ScaledDense" and layer.units == 3 and layer.scale == 2.0
    with Context(plugins=[]):
        with pytest.raises(ValueError, match="Could not locate class 'ScaledDense'"):
            deserialize_keras_object(config)
        # custom_objects still works inside a restricted context.
        explicit = deserialize_keras_object(config, custom_objects={"ScaledDense": type(layer)})
        assert explicit.units == 3


class _Cube:
    @hookimpl
    def cornu_register_activations(register):
        def cube(x):
            return x * x * x

        register(cube)


def test_two_contexts_are_independent():
    a, b = Context(entry_points=False), Context(entry_points=False, extra={"cube-plugin": _Cube})
    assert a.plugin_manager is not b.plugin_manager
    assert a.registry.lookup("activation", "cube") is None
    assert b.registry.get("activation", "cube")(3) == 27
    assert b.registry.owner("activation", "cube") == "cube-plugin"
    a.register(_Cube, name="late-cube")
    assert a.registry.get("activation", "cube")(2) == 8
    assert a.registry.owner("activation", "cube") == "late-cube"
    a.unregister("late-cube")
    assert a.registry.lookup("activation", "cube") is None
    assert b.registry.lookup("activation", "cube") is not None
    assert registry.lookup("activation", "cube") is None  # the default context is untouched


def test_context_is_per_thread():
    """A context entered in one thread is not current in another (contextvars)."""
    seen = {}
    entered, release = threading.Event(), threading.Event()

    def inside():
        with Context(plugins=[]):
            seen["inside"] = registry.lookup("layer", "ScaledDense")
            entered.set()
            release.wait(30)

    worker = threading.Thread(target=inside)
    worker.start()
    entered.wait(30)
    seen["outside"] = registry.lookup("layer", "ScaledDense")
    release.set()
    worker.join(30)
    assert seen["inside"] is None
    assert seen["outside"].__name__ == "ScaledDense"


def test_disable_argument_and_environment_variable(monkeypatch):
    ctx = Context(disable=["cornu-testplugin"])
    assert "cornu-testplugin" not in ctx.infos()
    assert [d.name for d in ctx.disabled()] == ["cornu-testplugin"]
    assert ctx.registry.lookup("layer", "ScaledDense") is None
    # By distribution name too, and the environment variable applies to every context.
    monkeypatch.setenv("CORNU_DISABLE_PLUGINS", " other , cornu-testplugin")
    assert "cornu-testplugin" not in Context().infos()
    assert "cornu-testplugin" not in Context(plugins=["cornu-testplugin"]).infos()


def test_disable_environment_variable_in_a_fresh_process():
    code = ("from cornu.plugins import manager, registry; "
            "print(sorted(manager.plugin_infos()) == ['cornu-core'] or sorted(manager.plugin_infos()), "
            "registry.lookup('layer', 'ScaledDense'), "
            "[d.name for d in manager.current_context().disabled()])")
    result = _python(code, dict(os.environ, CORNU_DISABLE_PLUGINS="cornu-testplugin",
                                CORNU_PLUGINS="cornu-testplugin"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True None ['cornu-testplugin']"


# -- hookspec versions, broken and invalid plugins --------------------------------------------
def test_hookspec_version_is_checked(site):
    _fake_dist(site, "h7-future", "2.0", "h7fake_future", ACTIVATION_PLUGIN.format(
        version=HOOKSPEC_VERSION + 98, fn="future", factor=2, name="future_act"))
    _fake_dist(site, "h7-range", "1.1", "h7fake_range", ACTIVATION_PLUGIN.format(
        version=f"{HOOKSPEC_VERSION}, {HOOKSPEC_VERSION + 1}", fn="ranged", factor=3,
        name="ranged_act"))
    ctx = Context(plugins=["h7-future", "h7-range"])
    with pytest.warns(PluginWarning) as caught:
        infos = ctx.infos()
    message = str(caught[0].message)
    assert "'h7-future' from h7-future 2.0 implements hookspec version 99" in message
    assert f"implements version {HOOKSPEC_VERSION}" in message
    assert len(caught) == 1
    assert sorted(infos) == ["cornu-core", "h7-range"]
    assert infos["h7-range"].hookspec_version == (HOOKSPEC_VERSION, HOOKSPEC_VERSION + 1)
    assert infos["cornu-core"].hookspec_version == (HOOKSPEC_VERSION,)
    assert [f.distribution for f in ctx.failures()] == ["h7-future"]
    assert ctx.registry.lookup("activation", "future_act") is None
    assert ctx.registry.get("activation", "ranged_act")(2) == 6


def test_malformed_version_and_unknown_hooks_are_skipped():
    class Malformed:
        CORNU_HOOKSPEC_VERSION = "one"

    class Typo:
        @hookimpl
        def cornu_register_layerz(register):  # not a hook: would silently do nothing
            pass

    with pytest.warns(PluginWarning) as caught:
        ctx = Context(entry_points=False, extra={"malformed": Malformed, "typo": Typo})
        assert sorted(ctx.infos()) == ["cornu-core"]
    messages = " | ".join(str(w.message) for w in caught)
    assert "CORNU_HOOKSPEC_VERSION = 'one' is not a version number" in messages
    assert "implements unknown hooks cornu_register_layerz" in messages


def test_a_hook_that_raises_is_skipped_with_a_warning():
    class Half:
        @hookimpl
        def cornu_register_activations(register):
            register(lambda x: x, name="half_registered")
            raise ImportError("no module named 'missing_dependency'")

    ctx = Context(entry_points=False, extra={"half-plugin": Half})
    with pytest.warns(PluginWarning, match=r"'half-plugin' from half-plugin \(runtime\) failed in cornu_register_activations"):
        assert ctx.registry.lookup("activation", "half_registered") is None
    assert ctx.registry.get("activation", "relu") is cornu.activations.relu


def test_broken_plugin_does_not_break_import_or_the_listing(site):
    _fake_dist(site, "h7-broken", "0.3", "h7fake_broken", "raise RuntimeError('boom at import')\n")
    env = _env(site, CORNU_PLUGINS="h7-broken,cornu-testplugin")
    result = _python("import cornu; from cornu.plugins import registry; "
                     "print(registry.get('layer', 'ScaledDense').__name__)", env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ScaledDense"
    assert "The cornu plugin 'h7-broken' from h7-broken 0.3 failed to import: " \
           "RuntimeError: boom at import" in result.stderr
    listing = subprocess.run([sys.executable, "-m", "cornu", "plugins", "--json"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert listing.returncode == 0, listing.stderr
    data = json.loads(listing.stdout)
    assert [(f["distribution"], f["version"]) for f in data["failures"]] == [("h7-broken", "0.3")]
    assert "RuntimeError: boom at import" in data["failures"][0]["reason"]
    assert [p["name"] for p in data["plugins"]] == ["cornu-core", "cornu-testplugin"]
    text = subprocess.run([sys.executable, "-m", "cornu", "plugins"], capture_output=True,
                          text=True, env=env, timeout=120).stdout
    assert "Load failures (skipped):\n  h7-broken 0.3 (entry point h7-broken): failed to import" in text


# -- conflicts --------------------------------------------------------------------------------
def test_two_distributions_registering_one_name_is_an_error_naming_both(site):
    for dist, version, factor in (("h7-one", "1.0", 2), ("h7-two", "2.0", 3)):
        _fake_dist(site, dist, version, f"h7fake_{dist[3:]}", ACTIVATION_PLUGIN.format(
            version=HOOKSPEC_VERSION, fn="twin", factor=factor, name="twin"))
    ctx = Context(plugins=["h7-one", "h7-two"])
    with pytest.raises(RegistrationError) as info:
        ctx.registry.get("activation", "twin")
    message = str(info.value)
    assert "The activation name 'twin' is registered twice" in message
    assert "h7-one (1.0)" in message and "h7-two (2.0)" in message

    # `cornu plugins` lists the conflict (and exits 1).
    env = _env(site, CORNU_PLUGINS="h7-one,h7-two")
    listing = subprocess.run([sys.executable, "-m", "cornu", "plugins"], capture_output=True,
                             text=True, env=env, timeout=120)
    assert listing.returncode == 1
    assert ("activation 'twin': h7-one (1.0) and h7-two (2.0)" in listing.stdout
            or "activation 'twin': h7-two (2.0) and h7-one (1.0)" in listing.stdout)


def test_two_distributions_with_one_entry_point_name_is_an_error_naming_both(site):
    for dist, version in (("h7-left", "1.0"), ("h7-right", "2.0")):
        _fake_dist(site, dist, version, f"h7fake_{dist[3:]}", "CORNU_HOOKSPEC_VERSION = 1\n",
                   ep_name="h7-shared")
    with pytest.raises(RegistrationError, match="entry-point name 'h7-shared'") as info:
        Context(plugins=["h7-shared"]).infos()
    assert "h7-left (1.0)" in str(info.value) and "h7-right (2.0)" in str(info.value)


# -- what `import cornu` pulls in ---------------------------------------------------------------
FAMILY_MODULES = ["cornu.layers", "cornu.optimizers", "cornu.metrics", "cornu.losses",
                  "cornu.callbacks", "cornu.datasets", "cornu.applications"]


def test_import_cornu_pulls_in_nothing_else(backend_name):
    """`import cornu` loads numpy and the standard library only; a tensor op adds the one
    chosen framework (this process's backend: nox runs each) and no family or plugin."""
    backend = backend_name
    other = "tensorflow" if backend == "torch" else "torch"
    code = textwrap.dedent(f"""
        import sys
        before = set(sys.modules)
        import cornu
        def top(new):
            return sorted({{m.split('.')[0] for m in new}} - set(sys.stdlib_module_names)
                      - {{'_distutils_hack'}} - {{m for m in new if m.startswith('__')}})
        print(top(set(sys.modules) - before))
        cornu.ops.add(1, 2)
        print(cornu.config.backend(), {other!r} in sys.modules)
        print(sorted(m for m in sys.modules if m in {FAMILY_MODULES!r} or m.startswith('cornu_')
                     or m.startswith('cornu.backends.{other}')))
        from cornu.plugins import registry
        registry.get('activation', 'relu')
        print(sorted(m for m in sys.modules if m in {FAMILY_MODULES!r}))
    """)
    # CORNU_PLUGINS="" : only cornu-core and the backend, as if nothing else were installed.
    # KERAS_BACKEND too: TensorFlow imports an installed Keras, which imports its backend.
    result = _python(code, dict(os.environ, CORNU_BACKEND=backend, KERAS_BACKEND=backend,
                                CORNU_PLUGINS=""))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    # (numpy at most: the engine classes, which need numpy, are imported on first use)
    assert lines[0] in ("['cornu']", "['cornu', 'numpy']"), result.stdout
    assert lines[1:] == [f"{backend} False", "[]", "[]"], result.stdout


def test_cornu_distributions_declare_the_hookspec_version():
    infos = manager.plugin_infos()
    for info in infos.values():
        if info.distribution.startswith("cornu-"):
            assert info.hookspec_version == (HOOKSPEC_VERSION,), info.distribution


def test_backend_selected_reaches_contexts_loaded_later():
    seen = []

    class Listener:
        @hookimpl
        def cornu_backend_selected(backend):
            seen.append(backend.NAME)

    cornu.ops.add(1, 2)  # the backend is bound before the context loads its plugins
    ctx = Context(entry_points=False, extra={"listener": Listener})
    assert ctx.infos()["listener"].version == "runtime"
    assert seen == [cornu.config.backend()]
    late = Context(entry_points=False)
    late.register(Listener, name="late-listener")  # historic: a late plugin still hears it
    assert seen == [cornu.config.backend()] * 2
