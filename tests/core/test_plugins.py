"""The plugin manager, the registry and the errors users see."""
import importlib.util
import subprocess
import sys

import pytest

import cornu
from cornu.plugins import hookimpl, manager, registry


def test_core_components_are_registered_through_the_hooks():
    assert registry.get("activation", "relu") is cornu.activations.relu
    assert registry.get("initializer", "glorot_uniform").__name__ == "GlorotUniform"
    assert registry.get("initializer", "GlorotUniform").__name__ == "GlorotUniform"
    assert registry.owner("activation", "relu") == "cornu-core"
    assert "Sequential" in registry.names("layer")


def test_third_party_plugin_from_entry_point_is_loaded():
    infos = manager.plugin_infos()
    assert "cornu-testplugin" in infos
    assert infos["cornu-testplugin"].distribution == "cornu-testplugin"
    assert registry.get("layer", "ScaledDense").__module__ == "cornu_testplugin.components"
    assert registry.get("optimizer", "plain_gd").__name__ == "PlainGD"
    assert registry.get("optimizer", "PlainGD").__name__ == "PlainGD"


def test_unknown_name_lists_close_matches_and_plugins():
    with pytest.raises(ValueError) as info:
        registry.get("activation", "rellu")
    message = str(info.value)
    assert "Unknown activation: 'rellu'" in message
    assert "relu" in message
    assert "cornu-core" in message


class _Conflicting:
    @hookimpl
    def cornu_register_activations(register):
        register(lambda x: x, name="relu")


def test_duplicate_name_names_both_distributions():
    manager.register_plugin(_Conflicting, name="conflicting-plugin")
    try:
        with pytest.raises(registry.RegistrationError) as info:
            registry.get("activation", "relu")
        message = str(info.value)
        assert "'relu'" in message
        # the registrations run in registration order: cornu-core's comes first
        assert message.index("cornu-core") < message.index("conflicting-plugin")
        tables, conflicts = registry.collect()
        assert [(c.first, c.second) for c in conflicts] == [("cornu-core",
                                                             "conflicting-plugin")]
        assert tables["activation"]["relu"].obj is cornu.activations.relu  # first stays
    finally:
        manager.unregister_plugin("conflicting-plugin")
    assert registry.get("activation", "relu") is cornu.activations.relu


class _Extra:
    @hookimpl
    def cornu_register_activations(register):
        def cube(x):
            return x * x * x

        register(cube, aliases=("cubed",))


def test_runtime_plugin_registers_and_unregisters():
    manager.register_plugin(_Extra, name="extra-plugin")
    try:
        assert registry.get("activation", "cubed")(2) == 8
        assert registry.owner("activation", "cube") == "extra-plugin"
    finally:
        manager.unregister_plugin("extra-plugin")
    assert registry.lookup("activation", "cube") is None


def _run(code, **env):
    import os

    full_env = dict(os.environ)
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=120)


def test_cornu_plugins_env_limits_loaded_plugins():
    result = _run(
        "from cornu.plugins import manager; print(sorted(manager.plugin_infos()))",
        CORNU_PLUGINS="cornu-testplugin",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['cornu-core', 'cornu-testplugin']"


def test_import_cornu_is_light():
    """``import cornu`` loads neither framework nor any family (what it loads, not how long
    it takes: the time is a benchmark, ``benchmarks/import_time.py``)."""
    code = (
        "import sys; import cornu; "
        "print('torch' in sys.modules, 'tensorflow' in sys.modules, "
        "'cornu.layers' in sys.modules)"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False"]


@pytest.mark.parametrize("family,dist", sorted(cornu._FAMILIES.items()))
def test_missing_family_names_the_distribution(family, dist):
    try:
        installed = importlib.util.find_spec(f"cornu.{family}") is not None
    except ModuleNotFoundError:  # cornu's finder: a missing family names its distribution
        installed = False
    if installed:
        assert getattr(cornu, family).__name__ == f"cornu.{family}"
        return
    with pytest.raises(ModuleNotFoundError, match=f"cornu.{family} is not installed: pip install {dist}"):
        getattr(cornu, family)


def test_missing_family_message_mechanism(monkeypatch):
    # (a made-up family: cornu.quantizers, once the stand-in here, is a core module now)
    monkeypatch.setitem(cornu._FAMILIES, "hypotheticals", "cornu-hypotheticals")
    with pytest.raises(ModuleNotFoundError) as info:
        cornu.hypotheticals  # noqa: B018
    assert str(info.value) == \
        "cornu.hypotheticals is not installed: pip install cornu-hypotheticals"


def test_unknown_backend_is_a_clear_error():
    result = _run("import cornu; cornu.ops.add(1, 2)", CORNU_BACKEND="mxnet")
    assert result.returncode != 0
    assert "The cornu backend 'mxnet' is not installed" in result.stderr
    assert "torch" in result.stderr  # lists what is installed


def test_cli_lists_distributions_backends_and_components():
    result = subprocess.run([sys.executable, "-m", "cornu", "plugins"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "cornu-core 0.1.0" in out
    assert "Backends" in out and "torch" in out
    assert "cornu-testplugin 0.0.1" in out
    assert "ScaledDense" in out and "PlainGD" in out
    assert "relu" in out


def test_every_hook_is_documented():
    from cornu.plugins import hookspecs

    pm = manager.get_plugin_manager()
    for name in dir(pm.hook):
        if name.startswith("cornu_"):
            spec = getattr(hookspecs, name)
            assert spec.__doc__ and len(spec.__doc__.strip()) > 20, name
    for kind, hook in hookspecs.REGISTER_HOOKS.items():
        assert kind in hookspecs.KINDS and hasattr(pm.hook, hook)


def test_backend_selection_order(tmp_path):
    """CORNU_BACKEND, then the config file, then set_backend, then the installed default."""
    import json
    import os

    home = tmp_path / "home"
    home.mkdir()
    (home / "cornu.json").write_text(json.dumps({"backend": "tensorflow"}))
    probe = ("import cornu; cornu.config.set_backend('torch'); "
             "print(cornu.config.backend())")
    env = {k: v for k, v in os.environ.items() if k != "CORNU_BACKEND"}
    env["CORNU_HOME"] = str(home)

    def backend(**extra):
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                env={**env, **extra}, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert backend(CORNU_BACKEND="torch") == "torch"
    assert backend() == "tensorflow"  # the file wins over set_backend
    (home / "cornu.json").write_text("{}")
    assert backend() == "torch"  # set_backend
    result = subprocess.run([sys.executable, "-c", "import cornu; print(cornu.config.backend())"],
                            capture_output=True, text=True, env=env, timeout=120)
    installed = manager.installed_backends()
    default = "torch" if "torch" in installed else installed[0]
    assert result.stdout.strip() == default  # the installed default, torch first


def test_a_broken_plugin_is_a_warning_naming_the_distribution(tmp_path):
    """A real (if tiny) installed distribution whose entry point cannot be imported."""
    import os

    dist_info = tmp_path / "broken_plugin-0.3.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.3\n")
    (dist_info / "entry_points.txt").write_text("[cornu]\nbroken-plugin = cornu_no_such_module\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    probe = ("from cornu.plugins import registry; "
             "print(registry.get('activation', 'relu').__name__, "
             "registry.get('layer', 'ScaledDense').__name__)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["relu", "ScaledDense"]  # cornu and other plugins work
    assert "PluginWarning: The cornu plugin 'broken-plugin' from broken-plugin 0.3" in result.stderr
    assert "failed to import: ModuleNotFoundError" in result.stderr
    assert "CORNU_DISABLE_PLUGINS=broken-plugin" in result.stderr
    # Disabled by name: no warning at all.
    quiet = subprocess.run([sys.executable, "-W", "error", "-c", probe], capture_output=True,
                           text=True, env=dict(env, CORNU_DISABLE_PLUGINS="broken-plugin"),
                           timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.split() == ["relu", "ScaledDense"]
