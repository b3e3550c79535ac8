"""The two switches that turn ``cornu.alias_keras()`` on for a program left unchanged:
``cornu run script.py`` / ``cornu run -m module`` and ``CORNU_ALIAS_KERAS=1`` (honoured
at interpreter start-up by the ``.pth`` that cornu-core's wheel ships).

Every case is a real subprocess: the alias is per process.
"""
import os
import site
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

PTH_NAME = "zz-cornu-alias-keras.pth"
SOURCE_PTH = Path(__file__).resolve().parents[2] / "packages" / "core" / PTH_NAME
BACKEND = os.environ.get("CORNU_BACKEND", "torch")

#: A Keras program that prints what it got.
KERAS_SCRIPT = """\
import sys

import numpy as np

import keras
from keras import ops

out = ops.convert_to_numpy(ops.add(keras.Variable(np.ones((1, 2), "float32")), 2.0))
print("name", keras.__name__, keras.ops.__name__)
print("version", keras.__version__)
print("backend", keras.config.backend())
print("out", out.tolist())
print("argv", sys.argv[1:])
print("main", __name__, sys.path[0])
"""


def environment(**changes):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3",
               CORNU_BACKEND=BACKEND)
    env.pop("CORNU_ALIAS_KERAS", None)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(cmd, cwd=None, **changes):
    return subprocess.run(cmd, cwd=cwd, env=environment(**changes), capture_output=True,
                          text=True, timeout=300)


def facts(stdout):
    return {line.split(" ", 1)[0]: line.split(" ", 1)[1]
            for line in stdout.splitlines() if " " in line}


def cornu_command():
    """The ``cornu`` console script next to this interpreter, else ``python -m cornu``."""
    script = Path(sys.executable).with_name("cornu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cornu"]


def test_cornu_run_a_keras_script(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(KERAS_SCRIPT)
    proc = run([*cornu_command(), "run", str(script), "a", "--flag", "-x"], cwd=tmp_path.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = facts(proc.stdout)
    assert got["name"] == "cornu cornu.ops"
    assert got["version"].startswith("3.")
    assert got["backend"] == BACKEND
    assert got["out"] == "[[3.0, 3.0]]"
    assert got["argv"] == "['a', '--flag', '-x']"  # the program's own arguments, untouched
    assert got["main"] == f"__main__ {tmp_path}"  # python script.py: the script's folder


def test_cornu_run_keeps_the_exit_status_and_reports_a_missing_script(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("import sys, keras\nassert keras.__name__ == 'cornu'\nsys.exit(3)\n")
    assert run([sys.executable, "-m", "cornu", "run", str(script)]).returncode == 3
    missing = run([sys.executable, "-m", "cornu", "run", str(tmp_path / "nope.py")])
    assert missing.returncode == 2 and "can't open file" in missing.stderr
    assert run([sys.executable, "-m", "cornu", "run"]).returncode == 2
    usage = run([sys.executable, "-m", "cornu", "run", "--help"])
    assert usage.returncode == 0 and "cornu run -m module" in usage.stdout


def test_cornu_run_a_module(tmp_path):
    (tmp_path / "kerasprog.py").write_text(KERAS_SCRIPT)
    proc = run([sys.executable, "-m", "cornu", "run", "-m", "kerasprog", "x", "-y"],
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = facts(proc.stdout)
    assert got["name"] == "cornu cornu.ops"
    assert got["argv"] == "['x', '-y']"
    assert got["main"] == f"__main__ {tmp_path}"  # python -m: the working directory


def test_cornu_run_m_pytest(tmp_path):
    (tmp_path / "test_tiny.py").write_text(textwrap.dedent("""\
        import os
        import keras


        def test_keras_is_cornu():
            assert keras.__name__ == "cornu"
            assert keras.ops.__name__ == "cornu.ops"
            assert os.environ["CORNU_ALIAS_KERAS"] == "1"  # what child processes inherit
    """))
    proc = run([sys.executable, "-m", "cornu", "run", "-m", "pytest", "-q", "-p",
                "no:cacheprovider", "test_tiny.py"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 passed" in proc.stdout


def test_the_pth_line_is_cheap_and_calls_the_alias():
    text = SOURCE_PTH.read_text()
    assert text.count("\n") == 1 and text.startswith("import os;")  # site exec()s it
    assert "os.environ.get(\"CORNU_ALIAS_KERAS\", \"\")" in text
    assert "_alias_from_environment()" in text
    # It sorts after the editable installs' path files (_cornu_*.pth, __editable__*).
    assert sorted([PTH_NAME, "_cornu_layers.pth", "__editable__.x.pth", "distutils.pth"]
                  )[-1] == PTH_NAME


@pytest.fixture(scope="module")
def alias_venv(tmp_path_factory):
    """A fresh venv whose site-packages has cornu-core's .pth, and this interpreter's
    sys.path (cornu and the frameworks) through a path file that sorts before it."""
    root = tmp_path_factory.mktemp("alias-venv")
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(root)
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        text=True).strip()
    entries = [p for p in sys.path if p and os.path.isdir(p)]
    Path(purelib, "_parent_env.pth").write_text("\n".join(entries) + "\n")
    installed = [Path(d, PTH_NAME) for d in site.getsitepackages() + [
        sysconfig.get_path("purelib")] if Path(d, PTH_NAME).exists()]
    pth = installed[0] if installed else SOURCE_PTH  # the installed one when there is one
    Path(purelib, PTH_NAME).write_text(pth.read_text())
    return python


def test_environment_switch_at_start_up(alias_venv):
    code = ("import sys, keras; print('name', keras.__name__, 'cornu' in sys.modules); "
            "print('backend', keras.config.backend())")
    proc = run([str(alias_venv), "-c", code], CORNU_ALIAS_KERAS="1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = facts(proc.stdout)
    assert got["name"] == "cornu True"
    assert got["backend"] == BACKEND
    # KERAS_BACKEND is honoured as by alias_keras() when CORNU_BACKEND is unset
    proc = run([str(alias_venv), "-c", code], CORNU_ALIAS_KERAS="true",
               CORNU_BACKEND=None, KERAS_BACKEND=BACKEND)
    assert facts(proc.stdout)["backend"] == BACKEND, proc.stderr[-3000:]


@pytest.mark.parametrize("value", [None, "0", "", "off"])
def test_environment_switch_off(alias_venv, value):
    code = "import sys; print('state', 'cornu' in sys.modules, 'keras' in sys.modules)"
    proc = run([str(alias_venv), "-c", code], CORNU_ALIAS_KERAS=value)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # cornu is not even imported: the line costs an `import os`
    assert facts(proc.stdout)["state"] == "False False"


def test_environment_switch_reaches_child_processes(alias_venv, tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent("""\
        import subprocess, sys
        import keras
        child = subprocess.check_output(
            [sys.executable, "-c", "import keras; print(keras.__name__)"], text=True)
        print("names", keras.__name__, child.strip())
    """))
    proc = run([str(alias_venv), str(script)], CORNU_ALIAS_KERAS="1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert facts(proc.stdout)["names"] == "cornu cornu"


def test_environment_switch_refusal_stops_the_process(alias_venv):
    # At start-up nothing has imported Keras yet; a refusal (here: forced by a module
    # that claims to be a real Keras) ends the process with a message naming the switch.
    code = textwrap.dedent("""\
        import sys, types
        fake = types.ModuleType("keras"); fake.__file__ = "/somewhere/keras/__init__.py"
        sys.modules["keras"] = fake
        from cornu import _alias
        _alias._alias_from_environment()
    """)
    proc = run([str(alias_venv), "-c", code], CORNU_ALIAS_KERAS="1")
    # the .pth already aliased the process, so the fake is "a real Keras" imported after it
    assert proc.returncode == 1
    assert "CORNU_ALIAS_KERAS='1': cornu.alias_keras() failed" in proc.stderr
