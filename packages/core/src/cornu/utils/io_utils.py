"""Where cornu's messages go: stdout (interactive logging, the default) or the log.

With interactive logging on, the progress bar, the ``Epoch i/n`` lines, the
callbacks' messages and ``model.summary()`` write to ``sys.stdout``, the best
experience in a shell or a notebook.  With it off
(``cornu.config.disable_interactive_logging()``), the same messages go to the
Python logger named ``"cornu"`` at level INFO, the way to run training as a job
on a server (Keras sends them to ``absl.logging``; cornu uses the standard
``logging`` module, so configure it as usual, e.g. ``logging.basicConfig(level=logging.INFO)``).
"""
import logging
import sys

__all__ = [
    "disable_interactive_logging",
    "enable_interactive_logging",
    "is_interactive_logging_enabled",
    "print_msg",
]

logger = logging.getLogger("cornu")

_INTERACTIVE_LOGGING = True


def enable_interactive_logging():
    """Send cornu's messages (progress bars, callbacks' messages) to stdout (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging():
    """Send cornu's messages to the ``"cornu"`` Python logger (level INFO) instead of stdout."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled():
    """Whether cornu's messages go to stdout (True, the default) or to the ``"cornu"`` logger."""
    return _INTERACTIVE_LOGGING


def print_msg(message, line_break=True):
    """Write ``message`` to stdout (interactive logging on) or log it at INFO (off)."""
    message = str(message)
    if not _INTERACTIVE_LOGGING:
        # One record per message; the line breaks a terminal needs are the handler's job.
        logger.info(message.strip("\n"))
        return
    if line_break:
        message += "\n"
    stream = sys.stdout
    try:
        stream.write(message)
    except UnicodeEncodeError:
        # A stdout that cannot encode the bar's box characters (e.g. a latin-1 pipe):
        # fall back to ASCII-friendly text in that encoding.
        encoding = getattr(stream, "encoding", None) or "utf-8"
        message = message.replace("━", "=").replace("─", "-")
        stream.write(message.encode(encoding, errors="ignore").decode(encoding))
    stream.flush()
