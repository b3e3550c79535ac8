"""The optimizers ask the backend's optional ``optimizer_kernels`` part, never its name."""
import types

from cornu import optimizers
from cornu.backend import get_backend
from cornu.optimizers import _math
from cornu.optimizers.optimizer import _kernel_for


def _fake_backend(part=None):
    backend = types.ModuleType("fake_backend")
    backend.NAME = "fake"
    backend.core = get_backend().core
    if part is not None:
        backend.optimizer_kernels = part
    return backend


def test_a_backend_without_the_part_gets_the_generic_namespace():
    xp = _math._build(_fake_backend())
    assert type(xp) is _math.OpsMath
    assert xp.fused is False and xp.kernels == {}


def test_the_backend_math_is_mixed_over_the_generic_namespace():
    class Math:
        fused = True

        def sqrt(self, x):
            return ("mine", super().sqrt(x))

    def kernel(optimizer, grads, params, learning_rate):
        pass

    part = types.SimpleNamespace(Math=Math, KERNELS={"adam": kernel})
    xp = _math._build(_fake_backend(part))
    assert isinstance(xp, Math) and isinstance(xp, _math.OpsMath)
    assert xp.fused and xp.kernels == {"adam": kernel}
    assert xp.sqrt(4.0)[0] == "mine"
    assert xp.backend.NAME == "fake"


def test_get_math_is_cached_per_backend():
    assert _math.get_math() is _math.get_math()


def test_kernels_go_to_the_registered_class_whose_update_step_it_is():
    def kernel(*args):
        pass

    kernels = {"adam": kernel, "schedule_free_adamw": kernel}
    assert _kernel_for(optimizers.Adam, kernels) is kernel
    assert _kernel_for(optimizers.AdamW, kernels) is kernel  # inherits Adam.update_step
    assert _kernel_for(optimizers.ScheduleFreeAdamW, kernels) is kernel
    assert _kernel_for(optimizers.SGD, kernels) is None

    class Mine(optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            super().update_step(gradient, variable, learning_rate)

    class Plain(optimizers.Adam):
        pass

    assert _kernel_for(Mine, kernels) is None
    assert _kernel_for(Plain, kernels) is kernel
    assert _kernel_for(optimizers.Adam, {}) is None
