"""``cornu.mixed_precision``: the legacy Keras names for dtype policies and loss scaling.

``Policy`` is ``DTypePolicy``; ``set_global_policy`` / ``global_policy`` are
``cornu.config.set_dtype_policy`` / ``dtype_policy``.  ``LossScaleOptimizer``
comes from cornu-optimizers (imported on first use, so the core stays free of
the optimizer family).
"""
from cornu.dtype_policies.policy import DTypePolicy, dtype_policy, set_dtype_policy

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy


def __getattr__(name):
    if name == "LossScaleOptimizer":
        import cornu

        return cornu.import_family("optimizers").LossScaleOptimizer
    raise AttributeError(f"module 'cornu.mixed_precision' has no attribute {name!r}")


__all__ = [
    "DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",  # noqa: F822
    "set_dtype_policy", "set_global_policy",
]
