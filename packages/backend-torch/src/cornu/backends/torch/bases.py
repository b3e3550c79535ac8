"""What cornu's engine classes mix in on torch: every ``cornu.Layer`` is a ``torch.nn.Module``.

``cornu.Layer`` keeps its own attribute handling (sublayers and variables stay in the
instance ``__dict__``, so the hot path reads them directly) and tells this base about
each sublayer and variable it tracks (``_register_tracked``); the base files them in
``_modules`` and ``_parameters``, where torch looks.  So ``parameters()``,
``named_parameters()``, ``state_dict()``/``load_state_dict()``, ``.to()``, ``.train()``/
``.eval()``, ``zero_grad()`` and ``torch.optim`` see the very ``nn.Parameter`` objects
that back the cornu variables, each once.

``layer(x)`` stays cornu's ``Layer.__call__``; forward (pre-)hooks and backward hooks
registered on a layer switch it to ``nn.Module``'s call machinery for that layer only
(``_call_hooks_active``).  ``forward(*args)`` is the layer call.

This module imports torch only (no cornu engine module): ``cornu.layer`` and
``cornu.variables`` import it while they define their classes.
"""
import torch

_Module = torch.nn.Module


def _clean(name):
    """A valid ``_modules``/``_parameters`` key (torch forbids dots and empty names)."""
    name = str(name).replace(".", "_")
    return name or "_"


class Layer(_Module):
    """The torch base of ``cornu.Layer``: an ``nn.Module`` kept in step with cornu's tracking."""

    _call_hooks_active = False  # (cornu.Layer declares it too)

    def __init__(self):
        _Module.__init__(self)
        # key -> cornu Variable for the Parameters in ``_parameters`` (``_apply`` re-points
        # a variable whose Parameter torch replaced).
        object.__setattr__(self, "_variables_by_key", {})

    # -- tracking: called by cornu.Layer -------------------------------------------
    def _register_tracked(self, value, name):
        """File sublayer or variable ``value`` under a unique key derived from ``name``."""
        if isinstance(value, _Module):
            store = self._modules
            item = value
        else:
            item = getattr(value, "_value", None)
            if not isinstance(item, torch.nn.Parameter):
                return
            store = self._parameters
        if any(existing is item for existing in store.values()):
            return  # already registered (under another name): nothing twice
        key = base = _clean(name)
        taken = (self._modules, self._parameters, self._buffers)
        i = 0
        while any(key in d for d in taken):
            i += 1
            key = f"{base}_{i}"
        store[key] = item
        if store is self._parameters:
            self._variables_by_key[key] = value

    def _unregister_tracked(self, value):
        for store in (self._modules, self._parameters):
            target = value if store is self._modules else getattr(value, "_value", None)
            for key in [k for k, v in store.items() if v is target]:
                del store[key]
                self._variables_by_key.pop(key, None)

    # -- calling --------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """The layer call (``model.forward(x)`` is ``model(x)``, without hooks)."""
        if self._call_hooks_active:  # from nn.Module's call machinery: hooks run there
            object.__setattr__(self, "_call_hooks_active", False)
            try:
                return self(*args, **kwargs)
            finally:
                object.__setattr__(self, "_call_hooks_active", True)
        return self(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        """A call of a layer with hooks: nn.Module's machinery runs them around ``forward``."""
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            object.__setattr__(self, "_call_hooks_active", False)  # all removed: fast again
            return self(*args, **kwargs)
        return _Module._call_impl(self, *args, **kwargs)

    def _hooks_added(self, handle):
        object.__setattr__(self, "_call_hooks_active", True)
        return handle

    def register_forward_pre_hook(self, hook, **kwargs):
        return self._hooks_added(_Module.register_forward_pre_hook(self, hook, **kwargs))

    def register_forward_hook(self, hook, **kwargs):
        return self._hooks_added(_Module.register_forward_hook(self, hook, **kwargs))

    def register_full_backward_pre_hook(self, hook, *args, **kwargs):
        return self._hooks_added(
            _Module.register_full_backward_pre_hook(self, hook, *args, **kwargs))

    def register_full_backward_hook(self, hook, *args, **kwargs):
        return self._hooks_added(_Module.register_full_backward_hook(self, hook, *args, **kwargs))

    def register_backward_hook(self, hook):
        return self._hooks_added(_Module.register_backward_hook(self, hook))

    # -- attributes -------------------------------------------------------------------
    def __getattr__(self, name):
        # Reached only when ordinary lookup failed: parameters, buffers and modules that
        # torch APIs registered directly, as nn.Module does.  A property that raised
        # AttributeError is re-run so that its own message reaches the caller.
        state = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            entries = state.get(store)
            if entries is not None and name in entries:
                return entries[name]
        for klass in type(self).__mro__:
            attr = klass.__dict__.get(name)
            if isinstance(attr, property):
                return attr.__get__(self, type(self))
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self.__dict__:
            object.__delattr__(self, name)  # the registration stays with cornu's tracking
        else:
            _Module.__delattr__(self, name)

    def _apply(self, fn, recurse=True):
        out = _Module._apply(self, fn, recurse)
        for key, variable in self._variables_by_key.items():
            param = self._parameters.get(key)
            if param is not None and param is not variable._value:
                variable._value = param  # torch swapped the Parameter (e.g. swap_tensors)
        return out
