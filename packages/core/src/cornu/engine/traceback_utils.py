"""Tracebacks that end in the user's code (Keras's traceback filtering).

An error raised inside ``fit``/``evaluate``/``predict``/``*_on_batch`` or a
top-level layer call travels through many frames of cornu and of the framework
(a ``tf.function`` trace adds its own, and wraps the message in an "in user
code:" report).  The public entry points re-raise it with those frames dropped,
and, through the backend's optional ``core.unwrap_exception``, as the exception
that was first raised, so the first line the user reads is cornu's own message.

Nothing here runs unless an exception is raised.  ``cornu.config.
disable_traceback_filtering()`` turns it off (the whole traceback, as raised).
"""
import functools
import os
import types

from cornu import config


def _excluded_paths():
    """Directories whose frames are dropped: cornu's own (every distribution of the
    namespace, and the code it generates, e.g. the ``<cornu.ops front of ...>``
    functions) and the framework's (``core.traceback_excluded_paths()``, optional)."""
    import cornu
    from cornu import backend

    paths = [os.path.join(os.path.abspath(p), "") for p in cornu.__path__] + ["<cornu."]
    if backend.is_bound():
        extra = getattr(backend.get_backend().core, "traceback_excluded_paths", None)
        if extra is not None:
            paths.extend(extra())
    return tuple(paths)


def _unwrap(err):
    unwrap = None
    from cornu import backend

    if backend.is_bound():
        unwrap = getattr(backend.get_backend().core, "unwrap_exception", None)
    return err if unwrap is None else unwrap(err)


def filtered_traceback(tb, excluded=None):
    """``tb`` without the frames whose file lies under ``excluded`` (default: cornu's
    and the framework's directories); None if none is left (the re-raise adds its own
    frame, which then says where the error left cornu)."""
    if excluded is None:
        excluded = _excluded_paths()
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    new = None
    for entry in reversed(entries):
        if not entry.tb_frame.f_code.co_filename.startswith(excluded):
            new = types.TracebackType(new, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return new


def filter_exception(err):
    """The exception to re-raise in place of ``err``: the original one where the
    framework wrapped it (its context hidden), with a filtered traceback.

    The traceback keeps the frames of every exception in between (the wrapper's
    outer frames, then the original's inner ones), filtered."""
    original = _unwrap(err)
    tb = err.__traceback__
    if original is not err:
        original.__suppress_context__ = True
        tb = _joined(err.__traceback__, original.__traceback__)
    return original.with_traceback(filtered_traceback(tb))


def _joined(outer, inner):
    """A traceback with the frames of ``outer`` then those of ``inner``."""
    entries = []
    for tb in (outer, inner):
        while tb is not None:
            entries.append(tb)
            tb = tb.tb_next
    new = None
    for entry in reversed(entries):
        new = types.TracebackType(new, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return new


def filter_traceback(fn):
    """Decorate a public entry point: its exceptions are re-raised filtered."""

    @functools.wraps(fn)
    def error_handler(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            if not config.is_traceback_filtering_enabled():
                raise
            # No ``from``: the exception keeps its own ``__cause__`` (a user's chaining).
            err = filter_exception(err)
            raise err  # cornu's frames hidden: cornu.config.disable_traceback_filtering()

    return error_handler
