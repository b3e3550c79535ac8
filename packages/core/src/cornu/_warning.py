"""The category of every warning cornu itself emits.

A subclass of ``UserWarning``, so code written for Keras (which warns with
``UserWarning``) filters and catches cornu's warnings unchanged, while
``warnings.filterwarnings("ignore", category=cornu.CornuWarning)`` silences cornu
alone and cornu's test suite turns exactly these into errors (``pytest.ini``).
"""


class CornuWarning(UserWarning):
    """A warning from cornu (a family, a backend or the core) to the user."""
