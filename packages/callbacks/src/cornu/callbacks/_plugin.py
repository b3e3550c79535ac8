"""Registers cornu-callbacks' components with cornu (the same hooks a third party uses)."""
from cornu.plugins import hookimpl

CORNU_HOOKSPEC_VERSION = 1  # the hookspec version this plugin implements (docs/plugins.md)


@hookimpl
def cornu_register_callbacks(register):
    from cornu import callbacks

    for name in callbacks.__all__:
        if name in ("Callback", "CallbackList", "History", "ProgbarLogger"):
            continue  # cornu-core's infrastructure, not this distribution's
        register(getattr(callbacks, name))
