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

from cornu import config as _config

__all__ = [
    "disable_interactive_logging",
    "enable_interactive_logging",
    "is_interactive_logging_enabled",
    "print_msg",
]

logger = logging.getLogger("cornu")

# The switch is a setting of cornu.config (which imports nothing from cornu); these are its
# ``keras.utils.io_utils`` spellings.
enable_interactive_logging = _config.enable_interactive_logging
disable_interactive_logging = _config.disable_interactive_logging
is_interactive_logging_enabled = _config.is_interactive_logging_enabled


def print_msg(message, line_break=True):
    """Write ``message`` to stdout (interactive logging on) or log it at INFO (off)."""
    message = str(message)
    if not _config._INTERACTIVE_LOGGING:
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
