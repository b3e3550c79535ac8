"""The conformance suite's pytest plugin (cornu.testing.backend_conformance): it runs
the suite on the named backend and turns an expected-failures file into strict xfails.
The suite itself runs in the conformance-* nox sessions and in `plugins` (numpy)."""
import os
import subprocess
import sys


def _pytest(tmp_path, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "cornu.testing.backend_conformance",
         "-p", "no:cacheprovider", "-rxX", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_expected_failures_are_strict(tmp_path, backend_name):
    listed = tmp_path / "expected.txt"
    listed.write_text("# a comment line\n"
                      "test_ops.py::test_op[numpy.add]  # listed, but it passes\n"
                      "test_ops.py::test_no_such_test\n")
    result = _pytest(tmp_path, "--cornu-backend", backend_name,
                     f"--cornu-expected-failures={listed}", "--pyargs",
                     "cornu.testing.conformance.test_ops")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"cornu conformance: backend {backend_name!r}" in out
    assert "1 failed" in out and "XPASS(strict)" in out and "listed, but it passes" in out
    assert "cornu expected failures that match no test" in out
    assert "test_ops.py::test_no_such_test" in out


def test_an_unknown_backend_is_a_usage_error(tmp_path):
    result = _pytest(tmp_path, "--cornu-backend", "no-such-backend")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "no such backend is installed" in result.stderr


def test_importing_cornu_testing_imports_no_pytest():
    code = ("import sys, cornu, cornu.testing; "
            "assert 'pytest' not in sys.modules and '_pytest' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
