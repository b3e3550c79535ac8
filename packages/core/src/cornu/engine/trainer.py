"""``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods.

The step functions themselves come from the backend (``backend.trainer``):
autograd and fused optimizer updates on torch, a ``tf.function`` on
tensorflow.  This module runs the epoch/batch loops, callbacks and logs; per
step it does no registry lookup and no host copy (logs stay tensors until a
callback or the end of the epoch needs numbers).
"""
import functools
import itertools

import numpy as np

from cornu import tree
from cornu.engine import compile_utils, data_adapters
from cornu.engine.callbacks import CallbackList


def _backend():
    from cornu.backend import get_backend

    return get_backend()


def _to_float(value):
    """A Python float for a scalar log; a numpy array for a vector (e.g. per-class F1)."""
    array = _backend().core.convert_to_numpy(value)
    return float(array) if getattr(array, "ndim", 0) == 0 else array


def _with_distribution(method):
    """Runs ``fit``/``evaluate`` under ``distribution=`` or the one in effect, if any."""

    @functools.wraps(method)
    def wrapper(self, *args, distribution=None, **kwargs):
        if distribution is None:
            from cornu.distribution import distribution as current

            distribution = current()
        if distribution is None:
            return method(self, *args, **kwargs)
        outer = getattr(self, "_distribution", None)
        with distribution.scope():
            self._distribution = distribution
            try:
                return method(self, *args, **kwargs)
            finally:
                self._distribution = outer

    return wrapper


class Trainer:
    """Mixin giving ``Model`` the Keras training API."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._reset_functions()

    def _reset_functions(self):
        self._regularized = None
        self.train_function = None
        self.test_function = None
        self.predict_function = None

    # -- compile -----------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training (Keras 3 arguments)."""
        self.optimizer = compile_utils.resolve_optimizer(optimizer)
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16":
            self.optimizer = compile_utils.wrap_loss_scale(self.optimizer)
        self.loss = loss
        self._compile_args = dict(loss=loss, loss_weights=loss_weights, metrics=metrics,
                                  weighted_metrics=weighted_metrics)
        self._compile_config = {
            "optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
            "metrics": metrics, "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly, "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = False if jit_compile == "auto" else bool(jit_compile)
        self.steps_per_execution = steps_per_execution
        self._compile_loss = None
        self._compile_metrics = None
        if self._loss_tracker is None:
            self._loss_tracker = compile_utils.MeanTracker("loss")
        if loss is not None:
            self._build_compile_objects()
        self.compiled = True
        self._reset_functions()

    def _output_names(self):
        outputs = getattr(self, "_outputs_struct", None)
        if isinstance(outputs, dict):
            return list(outputs)
        if isinstance(outputs, (list, tuple)):
            return [t._keras_history[0].name for t in outputs]
        return ["output"]

    def _output_shapes(self):
        outputs = getattr(self, "outputs", None) or []
        return [t.shape for t in outputs]

    def _build_compile_objects(self):
        if self._compile_loss is not None or not hasattr(self, "_compile_args"):
            return
        args = self._compile_args
        names = self._output_names()
        self._compile_loss = compile_utils.CompileLoss(args["loss"], args["loss_weights"], names)
        self._compile_metrics = compile_utils.CompileMetrics(
            args["metrics"], args["weighted_metrics"], names, self._compile_loss.losses,
            self._output_shapes(),
        )

    def get_compile_config(self):
        if not getattr(self, "compiled", False):
            return None
        from cornu.serialization import serialize_cornu_object

        config = dict(self._compile_config)
        config["optimizer"] = serialize_cornu_object(self.optimizer)
        for key in ("loss", "metrics", "weighted_metrics"):
            config[key] = serialize_cornu_object(config[key])
        return config

    def compile_from_config(self, config):
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        config["optimizer"] = deserialize_cornu_object(config["optimizer"], kind="optimizer")
        self.compile(**{k: v for k, v in config.items() if k in (
            "optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
            "run_eagerly", "steps_per_execution", "jit_compile")})

    # -- losses and metrics ----------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the losses added by layers (regularization, add_loss)."""
        if self._compile_loss is None:
            self._build_compile_objects()
        total = None
        if self._compile_loss is not None and y is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        extra = self.losses if self._may_have_extra_losses() else None
        if extra:
            from cornu import ops

            penalty = extra[0]
            for item in extra[1:]:
                penalty = ops.add(penalty, item)
            total = penalty if total is None else ops.add(total, penalty)
        if total is None:
            raise ValueError(
                f"Model '{self.name}' has no loss to optimize: pass loss= to compile() "
                "(and targets y to fit), or add losses with add_loss()."
            )
        return total

    def _may_have_extra_losses(self):
        """Whether ``self.losses`` can be non-empty: a weight regularizer or an add_loss.

        Walking every layer for ``losses`` on each step costs time on the hot path;
        the answer for regularizers only changes when the weights do.
        """
        from cornu.layer import _added_losses

        if _added_losses[0]:
            return True
        if self._regularized is None:  # recomputed whenever the step functions are rebuilt
            self._regularized = any(
                getattr(w, "regularizer", None) is not None for w in self.weights
            )
        return self._regularized

    @property
    def metrics(self):
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_loss is not None:
            out.extend(t for t in self._compile_loss.trackers if t is not None)
        if self._compile_metrics is not None:
            out.extend(m for _, m, _ in self._compile_metrics.metrics)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self):
        out = []
        for m in self.metrics:
            out.extend(m.variables)
        return out

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """The current metric values as a dict of tensors, keys sorted like Keras logs."""
        logs = {}
        for metric in self.metrics:
            if isinstance(metric, compile_utils.MeanTracker):
                logs[metric.name] = metric.result()
        if self._compile_metrics is not None:
            logs.update(self._compile_metrics.result())
        return {k: logs[k] for k in sorted(logs)}

    def _float_logs(self):
        dist = getattr(self, "_distribution", None)
        if dist is not None and dist.num_processes > 1:
            return self._aggregated_float_logs(dist)
        return {k: _to_float(v) for k, v in self.get_metrics_result().items()}

    def _aggregated_float_logs(self, dist):
        """The logs over every process: metric states summed, read, then put back.

        Called only where every process calls it (epoch and evaluation ends), since
        the sum is a collective; batch-level logs stay per process.
        """
        variables = self.metrics_variables
        local = [v.numpy() for v in variables]
        for v, total in zip(variables, dist.all_reduce_sum(local)):
            v.assign(np.asarray(total).astype(v.dtype))
        try:
            return {k: _to_float(v) for k, v in self.get_metrics_result().items()}
        finally:
            for v, value in zip(variables, local):
                v.assign(value)

    # -- step functions ----------------------------------------------------------
    def make_train_function(self, force=False):
        dist = getattr(self, "_distribution", None)
        if self.train_function is None or force or self._step_distribution[0] is not dist:
            self._regularized = None
            self.train_function = (_backend().trainer if dist is None
                                   else dist._impl).make_train_function(self)
            self._step_distribution[0] = dist
        return self.train_function

    def make_test_function(self, force=False):
        dist = getattr(self, "_distribution", None)
        if self.test_function is None or force or self._step_distribution[1] is not dist:
            self.test_function = (_backend().trainer if dist is None
                                  else dist._impl).make_test_function(self)
            self._step_distribution[1] = dist
        return self.test_function

    @property
    def _step_distribution(self):
        """The distributions the cached train and test steps were made for."""
        made_for = self.__dict__.get("_made_for")
        if made_for is None:
            made_for = self.__dict__["_made_for"] = [None, None]
        return made_for

    def make_predict_function(self, force=False):
        if self.predict_function is None or force:
            self.predict_function = _backend().trainer.make_predict_function(self)
        return self.predict_function

    def _assert_compiled(self, method):
        if not getattr(self, "compiled", False):
            raise RuntimeError(
                f"You must call compile() before using the model's {method}() "
                f"(model '{self.name}')."
            )

    def _ensure_built(self, x):
        if not self.built:
            sample = tree.map_structure(lambda a: a[:2] if hasattr(a, "shape") else a, x)
            self(sample)  # builds every layer on a tiny slice of real data
        self._build_compile_objects()
        if self.optimizer is not None and hasattr(self.optimizer, "build") and not getattr(
            self.optimizer, "built", False
        ):
            self.optimizer.build(self.trainable_variables)

    # -- fit ------------------------------------------------------------------------
    @_with_distribution
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns the ``History`` callback."""
        self._assert_compiled("fit")
        if verbose == "auto":
            verbose = 1
        if validation_split and validation_data is None:
            if not all(data_adapters._is_array(a) for a in tree.flatten([x, y, sample_weight]) if a is not None):
                raise ValueError(
                    "validation_split is only supported for array inputs; pass "
                    "validation_data for generators and datasets"
                )
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                (x, y, sample_weight), validation_split
            )
        adapter = data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=batch_size, steps=steps_per_epoch,
            shuffle=shuffle, class_weight=class_weight,
        )
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = data_adapters._unpack(
                tuple(validation_data) if isinstance(validation_data, (list, tuple)) else validation_data
            )
            val_adapter = data_adapters.get_data_adapter(
                vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                steps=validation_steps, shuffle=False,
            )
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=adapter.num_batches,
        )
        self.stop_training = False
        train_fn = None
        cbs.on_train_begin()
        initial_epoch, skip_steps = self._resume_point(initial_epoch)
        epoch_logs = {}
        want_batch_begin = cbs.needs("on_train_batch_begin")
        want_batch_end = cbs.needs("on_train_batch_end")
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            step = -1
            batches = enumerate(adapter)
            if skip_steps:  # resuming mid-epoch: the first batches were trained already
                batches = itertools.islice(batches, skip_steps, None)
                step, skip_steps = skip_steps - 1, 0
            for step, batch in batches:
                if train_fn is None:
                    self._ensure_built(batch[0])
                    train_fn = self.make_train_function()
                if want_batch_begin:
                    cbs.on_train_batch_begin(step)
                train_fn(batch)
                if want_batch_end:
                    cbs.on_train_batch_end(step, self.get_metrics_result())
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError(
                    "fit() received no data: the input yielded no batches. Check that it is "
                    "not empty and that a generator is not exhausted."
                )
            if adapter.num_batches is None:
                adapter.num_batches = step + 1
            epoch_logs = self._float_logs()
            if val_adapter is not None and _should_validate(epoch, validation_freq):
                val_logs = self._evaluate_adapter(val_adapter, cbs, in_fit=True)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        finalize = getattr(self.optimizer, "finalize_variable_values", None)
        if finalize is not None:
            finalize(self.trainable_variables)  # e.g. swap in the EMA weights
        cbs.on_train_end(epoch_logs)
        return self.history

    def _resume_point(self, initial_epoch):
        """The epoch fit starts at and the batches of it to skip.

        A callback that restores a backup in ``on_train_begin`` (``BackupAndRestore``)
        sets ``model._initial_epoch`` (as in Keras) and, to resume mid-epoch,
        ``model._initial_step``: the batches of that epoch already trained.  Both are
        consumed here, so the next fit starts from its own ``initial_epoch``.
        """
        epoch = getattr(self, "_initial_epoch", None)
        step = getattr(self, "_initial_step", None)
        self._initial_epoch = None
        self._initial_step = None
        if epoch is None:
            return initial_epoch, 0
        return max(int(epoch), initial_epoch), int(step or 0)

    # -- evaluate -----------------------------------------------------------------
    @_with_distribution
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the given data (a list, a scalar, or a dict)."""
        self._assert_compiled("evaluate")
        if verbose == "auto":
            verbose = 1
        adapter = data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=batch_size, steps=steps, shuffle=False
        )
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=adapter.num_batches,
        )
        logs = self._evaluate_adapter(adapter, cbs, in_fit=False)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def _evaluate_adapter(self, adapter, cbs, in_fit):
        self.reset_metrics()
        cbs.on_test_begin()
        test_fn = None
        want_end = cbs.needs("on_test_batch_end")
        want_begin = cbs.needs("on_test_batch_begin")
        for step, batch in enumerate(adapter):
            if test_fn is None:
                self._ensure_built(batch[0])
                test_fn = self.make_test_function()
            if want_begin:
                cbs.on_test_batch_begin(step)
            test_fn(batch)
            if want_end:
                cbs.on_test_batch_end(step, self.get_metrics_result())
        logs = self._float_logs()
        cbs.on_test_end(logs)
        return logs

    # -- predict -------------------------------------------------------------------
    @_with_distribution
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for the inputs ``x``, as numpy arrays (batched; no gradient)."""
        if verbose == "auto":
            verbose = 1
        adapter = data_adapters.get_data_adapter(x, batch_size=batch_size, steps=steps,
                                                 shuffle=False)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=adapter.num_batches,
        )
        cbs.on_predict_begin()
        predict_fn = None
        outputs = []
        want_end = cbs.needs("on_predict_batch_end")
        want_begin = cbs.needs("on_predict_batch_begin")
        for step, batch in enumerate(adapter):
            if predict_fn is None:
                if not self.built:
                    self._ensure_built(batch[0])
                predict_fn = self.make_predict_function()
            if want_begin:
                cbs.on_predict_batch_begin(step)
            out = predict_fn(batch)
            outputs.append(out)
            if want_end:
                cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data")
        return _concat_to_numpy(outputs)

    # -- single batches ---------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient update on one batch; returns the loss and metrics."""
        self._assert_compiled("train_on_batch")
        batch = next(iter(data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=_num_samples(x), class_weight=class_weight)))
        self._ensure_built(batch[0])
        self.reset_metrics()
        self.make_train_function()(batch)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch."""
        self._assert_compiled("test_on_batch")
        batch = next(iter(data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=_num_samples(x))))
        self._ensure_built(batch[0])
        self.reset_metrics()
        self.make_test_function()(batch)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch, as numpy arrays."""
        batch = next(iter(data_adapters.get_data_adapter(x, batch_size=_num_samples(x))))
        if not self.built:
            self._ensure_built(batch[0])
        return _concat_to_numpy([self.make_predict_function()(batch)])

    def _batch_result(self, return_dict):
        logs = self._float_logs()
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values


def _num_samples(x):
    return int(tree.flatten(x)[0].shape[0])


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def _concat_to_numpy(outputs):
    convert = _backend().core.convert_to_numpy
    first = outputs[0]
    if tree.is_nested(first):
        flat = [tree.flatten(o) for o in outputs]
        joined = [np.concatenate([convert(f[i]) for f in flat]) for i in range(len(flat[0]))]
        return tree.pack_sequence_as(first, joined)
    return _backend().trainer.concat_to_numpy(outputs)
