"""``TorchModuleWrapper``: a ``torch.nn.Module`` as a cornu layer (torch backend)."""
import base64
import io

from cornu.layer import Layer
from cornu.symbolic import KerasTensor
from cornu.variables import Variable


def _torch_backend_core():
    """The bound backend's ``core`` when its tensors are torch tensors, else None.

    Asked of the backend (``core.is_tensor`` of a torch tensor), not of its name; torch
    is imported here only when something already imported it (a backend on torch
    has), so another backend never pays for it."""
    import sys

    from cornu.backend import get_backend

    core = get_backend().core  # imports the backend's framework
    torch = sys.modules.get("torch")
    if torch is None or not core.is_tensor(torch.empty(0)):
        return None
    return core


class TorchModuleWrapper(Layer):
    """Wraps any ``torch.nn.Module`` so that it runs as a cornu layer.

    The module's parameters become cornu ``Variable``s (the very same
    ``torch.nn.Parameter`` objects, shared with the module), so they appear in
    ``weights``/``trainable_weights``, train with cornu optimizers in ``fit`` and
    round-trip through ``get_weights``/``set_weights``.  The module runs in
    ``train()`` mode for training calls and in ``eval()`` mode otherwise.

    Only on the torch backend; on another backend the constructor raises.

    Args:
        module: the ``torch.nn.Module`` (lazy modules must be initialized first).
        name: the layer name.
        output_shape: optional output shape (with the batch axis) for symbolic use;
            without it, the output shape is traced.
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        core = _torch_backend_core()
        if core is None:
            from cornu.backend import backend_name

            raise NotImplementedError(
                "TorchModuleWrapper wraps a torch.nn.Module and needs the torch backend "
                "(a backend whose tensors are torch tensors); the active cornu backend is "
                f"{backend_name()!r}. Set CORNU_BACKEND=torch."
            )
        import torch

        if not isinstance(module, torch.nn.Module):
            raise ValueError(
                "TorchModuleWrapper: `module` must be a torch.nn.Module, received "
                f"{module!r} of type {type(module).__name__}"
            )
        if (isinstance(module, torch.nn.modules.lazy.LazyModuleMixin)
                and module.has_uninitialized_params()):
            raise ValueError(
                "TorchModuleWrapper: lazy modules must be initialized (called once) before "
                f"they are wrapped, received an uninitialized {type(module).__name__}"
            )
        super().__init__(name=name, **kwargs)
        self.module = module.to(core.device_name())  # where the backend puts its tensors
        # The wrapper is an nn.Module (cornu layers are, on torch): the wrapped module is
        # its submodule, so parameters()/state_dict() list the module's parameters once,
        # under ``module.<name>``, as in Keras.
        self._modules["module"] = self.module
        self.output_shape = None if output_shape is None else tuple(output_shape)
        self._track_module_parameters()
        self.built = True

    def _register_tracked(self, value, name):
        if isinstance(value, Variable):
            return  # the wrapped module's own parameters: registered there already
        super()._register_tracked(value, name)

    def _track_module_parameters(self):
        # Each parameter becomes a Variable whose native handle replaces the module's
        # parameter, so the module and cornu's optimizers see one tensor.
        for qualified, param in list(self.module.named_parameters()):
            owner = self.module
            *path, leaf = qualified.split(".")
            for part in path:
                owner = getattr(owner, part)
            variable = Variable(param.detach(), dtype=str(param.dtype).replace("torch.", ""),
                                trainable=param.requires_grad,
                                name=qualified.replace(".", "_"),
                                path=f"{self.name}/{qualified.replace('.', '_')}")
            owner._parameters[leaf] = variable.value
            self._track(variable)

    def call(self, *args, training=None, **kwargs):
        if training:
            self.module.train()
        else:
            self.module.eval()
        return self.module(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        if self.output_shape is None:
            spec = self.compute_output_spec(KerasTensor(input_shape, dtype=self.compute_dtype))
            return spec.shape
        return self.output_shape

    def compute_output_spec(self, *args, **kwargs):
        if self.output_shape is not None:
            return KerasTensor(self.output_shape, dtype=self.compute_dtype)
        from cornu.backend import get_backend

        kwargs.pop("training", None)
        return get_backend().core.compute_output_spec(self.call, *args, **kwargs)

    def get_config(self):
        import torch

        cfg = Layer.get_config(self)
        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        cfg.update({"module": base64.b64encode(buffer.getvalue()).decode("ascii"),
                    "output_shape": None if self.output_shape is None
                    else list(self.output_shape)})
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild from ``get_config``: unpickling a module runs code, so it is refused
        unless ``safe_mode=False`` is passed (here or to ``load_model``)."""
        if safe_mode is None:  # inherit load_model(..., safe_mode=...)
            from cornu.serialization import in_safe_mode

            safe_mode = in_safe_mode()
        config = dict(config)
        if isinstance(config.get("module"), str):
            if safe_mode is not False:
                raise ValueError(
                    "Refusing to deserialize a TorchModuleWrapper: its module is a pickled "
                    "torch.nn.Module, and unpickling can run arbitrary code. Call "
                    "TorchModuleWrapper.from_config(config, safe_mode=False) only for a "
                    "config you trust."
                )
            import torch

            buffer = io.BytesIO(base64.b64decode(config["module"].encode("ascii")))
            config["module"] = torch.load(buffer, weights_only=False)
        return cls(**config)
