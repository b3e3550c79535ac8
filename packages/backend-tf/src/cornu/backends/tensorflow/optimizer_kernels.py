"""The TensorFlow backend's optional ``optimizer_kernels`` part (asked for by cornu-optimizers).

cornu-optimizers writes updates and schedules once against a small tensor namespace
``xp`` (``xp.sqrt``, ``xp.assign_add``, ``xp.run_if``...; the generic one, on
``cornu.ops``, is ``cornu.optimizers._math.OpsMath``).  :class:`Math` is a *mixin*:
the family builds the namespace class once per backend as
``type(name, (Math, OpsMath), {})``, so ``Math`` overrides only what differs and
may call ``super()``; it has no base of its own, and this module never imports the
optimizers family (a backend imports no family).

On TensorFlow every function is a graph-safe tf op (the trainer runs
``optimizer.apply`` inside a ``tf.function``).  ``fused = False``: variables are
updated with ``assign*`` per variable, and there are no fused ``KERNELS``, so every
optimizer runs its own ``update_step``.
"""
import tensorflow as tf


class Math:
    """TensorFlow: graph-safe tf ops only (this code is traced into ``tf.function``)."""

    name = "tensorflow"
    #: No fused list updates: ``update_step`` runs per variable.
    fused = False

    def sqrt(self, x):
        return tf.sqrt(x)

    def square(self, x):
        return tf.square(x)

    def abs(self, x):
        return tf.abs(x)

    def sign(self, x):
        return tf.sign(x)

    def maximum(self, a, b):
        return tf.maximum(a, b)

    def minimum(self, a, b):
        return tf.minimum(a, b)

    def power(self, a, b):
        return tf.pow(a, b)

    def floor(self, x):
        return tf.floor(x)

    def ceil(self, x):
        return tf.math.ceil(x)

    def cos(self, x):
        return tf.cos(x)

    def log(self, x):
        return tf.math.log(x)

    def where(self, c, a, b):
        if tf.is_tensor(a):
            b = tf.cast(b, a.dtype)
        elif tf.is_tensor(b):
            a = tf.cast(a, b.dtype)
        return tf.where(c, a, b)

    def equal(self, a, b):
        return tf.equal(a, b)

    def floor_divide(self, a, b):
        return tf.math.floordiv(a, tf.cast(b, a.dtype))

    def clip(self, x, lo, hi):
        return tf.clip_by_value(x, lo, hi)

    def sum_squares(self, x):
        return tf.reduce_sum(tf.square(x))

    def stack(self, xs):
        return tf.stack(xs)

    def mean(self, x, axis=None, keepdims=False):
        return tf.reduce_mean(x, axis=axis, keepdims=keepdims)

    def sum(self, x, axis=None, keepdims=False):
        return tf.reduce_sum(x, axis=axis, keepdims=keepdims)

    def expand_dims(self, x, axis):
        return tf.expand_dims(x, axis)

    def matmul(self, a, b):
        return tf.linalg.matmul(a, b)

    def swap_last_axes(self, x):
        return tf.linalg.matrix_transpose(x)

    def all_finite(self, xs):
        return tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(x)) for x in xs]))

    def densify(self, g):
        if isinstance(g, tf.IndexedSlices):
            return tf.convert_to_tensor(g)
        return g

    def run_if(self, pred, true_fn, false_fn):
        def wrap(fn):
            def branch():
                fn()
                return tf.constant(True)

            return branch

        # Branches only assign variables; a dummy output keeps tf.cond happy
        # in graph and eager mode alike.
        tf.cond(pred, wrap(true_fn), wrap(false_fn))

    def init_scope(self):
        return tf.init_scope()

    def assign(self, handle, value):
        handle.assign(tf.cast(value, handle.dtype))

    def assign_add(self, handle, value):
        handle.assign_add(tf.cast(value, handle.dtype))

    def assign_sub(self, handle, value):
        handle.assign_sub(tf.cast(value, handle.dtype))

    #: ``handle += value`` (no autograd to guard against: the same as assign_add).
    inplace_add = assign_add
