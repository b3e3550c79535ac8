"""The backend conformance suite, as a pytest plugin.

Run it on any installed backend (``pip install cornu-core[testing]``)::

    pytest -p cornu.testing.backend_conformance --cornu-backend NAME

``--cornu-backend NAME`` sets ``CORNU_BACKEND`` before cornu binds a backend (default:
the backend cornu would choose anyway).  The plugin adds the suite, the test modules of
``cornu.testing.conformance``, to what pytest collects; given no test paths, the suite
is all it runs (a project's own ``testpaths`` are not collected).  The usual pytest
options select within it (``-k ops``, ``-x``, ``--junitxml=...``).

``--cornu-expected-failures FILE`` names a text file of test ids, one per line, as the
suite reports them relative to its package (``test_ops.py::test_op[numpy.cosh]``); a
line without the ``[...]`` part covers every parametrisation of that test, and text
after ``#`` is the reason (a line that is only a comment is ignored).  Each listed test
is marked ``xfail(strict=True)``: it is expected to fail, and one that passes is
reported as a failure ("XPASS(strict)"), so the file shrinks as the backend improves.
Entries that name no collected test are listed at the end of the run.  Spell it
``--cornu-expected-failures=FILE``: pytest takes a bare ``FILE`` argument after a space
into its choice of the rootdir.

The tests themselves do not depend on the plugin: they take their fixtures from the
suite's own ``conftest.py``, and skip what the backend does not declare
(``cornu.backend.supports``): a backend without ``"gradients"`` is checked for
inference only.  This module is imported by pytest only; importing ``cornu`` or
``cornu.testing`` never imports pytest.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

SUITE = "cornu.testing.conformance"


def suite_dir() -> Path:
    """The directory of the suite's test modules (in site-packages or a source tree)."""
    spec = importlib.util.find_spec(SUITE)
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def pytest_addoption(parser):
    group = parser.getgroup("cornu", "cornu backend conformance")
    group.addoption(
        "--cornu-backend", metavar="NAME", default=None,
        help="the cornu backend to check (sets CORNU_BACKEND before cornu binds one)",
    )
    group.addoption(
        "--cornu-expected-failures", metavar="FILE", default=None,
        help="test ids (one per line, '#' starts a reason/comment) expected to fail: "
             "marked xfail(strict=True)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Before any conftest runs (a project conftest may default CORNU_BACKEND).
    _select_backend(early_config.known_args_namespace.cornu_backend)


def _select_backend(name):
    if not name:
        return
    from cornu import backend

    if backend.is_bound() and backend.backend_name() != name:
        raise pytest.UsageError(
            f"--cornu-backend {name}: cornu is already bound to the "
            f"{backend.backend_name()!r} backend in this process")
    os.environ["CORNU_BACKEND"] = name


def pytest_configure(config):
    name = config.getoption("cornu_backend")
    _select_backend(name)
    if name:
        from cornu.plugins.manager import installed_backends

        installed = installed_backends()
        if name not in installed:
            raise pytest.UsageError(
                f"--cornu-backend {name}: no such backend is installed (installed: "
                f"{', '.join(sorted(installed)) or 'none'}; a backend is a distribution "
                "registering the 'cornu.backends' entry-point group)")
    suite = suite_dir()
    config._cornu_suite = suite
    config._cornu_expected = _read_expected(config.getoption("cornu_expected_failures"))
    config._cornu_expected_used = set()
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(suite)]  # no paths given: the suite alone, not testpaths
    elif not any(_covers(arg, suite) for arg in config.args):
        config.args.append(str(suite))


def _covers(arg, suite):
    """Whether command-line path ``arg`` already selects (part of) the suite."""
    path = arg.split("::", 1)[0]
    if path == SUITE or path.startswith(SUITE + "."):
        return True  # --pyargs cornu.testing.conformance[.test_x]
    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    return resolved == suite or suite in resolved.parents or resolved in suite.parents


def _read_expected(filename):
    """``{test id: reason}`` from an expected-failures file."""
    if not filename:
        return {}
    path = Path(filename)
    if not path.is_file():
        raise pytest.UsageError(f"--cornu-expected-failures: {filename} is not a file")
    expected = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        test_id, _, reason = line.partition("#")
        test_id = test_id.strip()
        if test_id:
            expected[test_id] = reason.strip() or f"listed in {path.name}"
    return expected


def suite_id(item, suite):
    """``item``'s id relative to the suite package: ``test_ops.py::test_op[numpy.add]``."""
    try:
        relative = Path(item.path).resolve().relative_to(suite).as_posix()
    except ValueError:
        return None
    return relative + item.nodeid[item.nodeid.index("::"):] if "::" in item.nodeid else relative


def pytest_collection_modifyitems(session, config, items):
    expected = getattr(config, "_cornu_expected", None)
    if not expected:
        return
    for item in items:
        test_id = suite_id(item, config._cornu_suite)
        if test_id is None:
            continue
        key = test_id if test_id in expected else test_id.split("[", 1)[0]
        if key in expected:
            config._cornu_expected_used.add(key)
            item.add_marker(pytest.mark.xfail(reason=expected[key], strict=True))


def pytest_report_header(config):
    from cornu import backend

    name = backend.backend_name()
    module = backend.get_backend()
    capabilities = sorted(getattr(module, "CAPABILITIES", ()))
    lines = [f"cornu conformance: backend {name!r} ({module.__name__}), capabilities: "
             f"{', '.join(capabilities) or 'none'}"]
    expected = getattr(config, "_cornu_expected", {})
    if expected:
        lines.append(f"cornu conformance: {len(expected)} expected failures from "
                     f"{config.getoption('cornu_expected_failures')}")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    expected = getattr(config, "_cornu_expected", {})
    unused = sorted(set(expected) - getattr(config, "_cornu_expected_used", set()))
    if unused and not config.getoption("keyword") and not config.getoption("markexpr"):
        terminalreporter.write_sep("=", "cornu expected failures that match no test")
        for test_id in unused:
            terminalreporter.write_line(test_id)
