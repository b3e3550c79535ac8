"""Testing tools for cornu backends and plugins (the ``cornu-core[testing]`` extra).

* :mod:`cornu.testing.backend_conformance`: the pytest plugin that runs the backend
  conformance suite (``cornu.testing.conformance``) on any installed backend::

      pytest -p cornu.testing.backend_conformance --cornu-backend NAME \\
          [--cornu-expected-failures FILE]

Importing this package imports neither pytest nor a backend.
"""
