"""``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods.

The step functions themselves come from the backend (``backend.trainer``):
autograd and fused optimizer updates on torch, a ``tf.function`` on
tensorflow.  This module runs the epoch/batch loops, callbacks and logs; per
step it does no registry lookup and no host copy (logs stay tensors until a
callback or the end of the epoch needs numbers).
"""
import functools
import inspect
import itertools

import numpy as np

from cornu import ops, tree
from cornu.engine import compile_utils, data_adapters
from cornu.engine.callbacks import CallbackList
from cornu.engine.traceback_utils import filter_traceback


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
        if (auto_scale_loss and self.optimizer is not None
                and self.dtype_policy.name == "mixed_float16"):
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
        if self._compile_metrics is not None or not hasattr(self, "_compile_args"):
            return
        args = self._compile_args
        names = self._output_names()
        # No loss (compile(optimizer=...) only): the model trains on its add_loss terms.
        self._compile_loss = None if args["loss"] is None else compile_utils.CompileLoss(
            args["loss"], args["loss_weights"], names)
        self._compile_metrics = compile_utils.CompileMetrics(
            args["metrics"], args["weighted_metrics"], names,
            [] if self._compile_loss is None else self._compile_loss.losses,
            self._output_shapes(),
        )

    def get_compile_config(self):
        """The arguments of the last ``compile``, serialized as Keras 3 writes them
        (``compile_config`` in a ``.keras`` file); None before ``compile``."""
        if not getattr(self, "compiled", False):
            return None
        return compile_utils.serialize_compile_config(
            self._compile_config, self.optimizer, self.jit_compile)

    def compile_from_config(self, config):
        """``compile`` with the arguments in ``config`` (``get_compile_config``'s, or the
        ``compile_config`` of a Keras 3 file): optimizer, loss and metric objects are
        rebuilt from their configs through the registry."""
        self.compile(**compile_utils.deserialize_compile_config(config))
        optimizer = self.optimizer
        if getattr(self, "built", False) and hasattr(optimizer, "build") and not getattr(
                optimizer, "built", False):
            optimizer.build(self.trainable_variables)  # its variables, as Keras does

    # -- losses and metrics ----------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the losses added by layers (regularization, add_loss).

        Override it to change the loss ``fit`` minimises; an override may leave out
        ``training`` (as older Keras examples do): the steps look at its signature.
        """
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

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """``compute_loss``, called with ``training`` only if the method accepts it."""
        if _takes_training(type(self)):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

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

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; returns ``get_metrics_result()``."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    @property
    def metrics(self):
        """The metrics ``fit`` resets each epoch and reports, in Keras's order: the loss
        tracker, the compiled metrics (one container), the per-output loss trackers,
        the metrics set as attributes of the model, then those of its (non-model) layers."""
        out = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out.extend(t for t in self._compile_loss.trackers if t is not None)
        seen = {id(m) for m in out}
        for owner in self._metric_owners():
            for metric in _attribute_metrics(owner):
                if id(metric) not in seen:
                    seen.add(id(metric))
                    out.append(metric)
        return out

    def _metric_owners(self):
        """The model and its layers, nested models excluded (they keep their own metrics)."""
        owners, stack = [self], list(self._layers)
        while stack:
            layer = stack.pop(0)
            if isinstance(layer, Trainer):
                continue
            owners.append(layer)
            stack.extend(layer._layers)
        return owners

    @property
    def compiled_loss(self):
        """Keras 2's name: calls ``compute_loss`` (prefer ``self.compute_loss``)."""
        return lambda y, y_pred, sample_weight=None, **kw: self.compute_loss(
            y=y, y_pred=y_pred, sample_weight=sample_weight)

    @property
    def compiled_metrics(self):
        """Keras 2's name: the compiled metrics' container (``update_state(y, y_pred)``)."""
        if self._compile_metrics is None:
            self._build_compile_objects()
        return self._compile_metrics

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
        metrics = self.metrics
        for m in metrics:
            m.reset_state()
        vars(self)["_reported"] = metrics  # what get_metrics_result reads until the next reset

    def get_metrics_result(self):
        """The current metric values as a dict of tensors, keys sorted like Keras logs."""
        metrics = self.__dict__.get("_reported")
        if metrics is None:
            metrics = self.metrics
        logs = {}
        for metric in metrics:
            value = metric.result()
            if isinstance(value, dict):
                logs.update(_flat_logs(value))  # nested results flattened, as Keras's logs
            else:
                logs[metric.name] = value
        return {k: logs[k] for k in sorted(logs)}

    def _metric_names_in_order(self):
        """The log names in ``metrics`` order, the compiled container expanded (Keras)."""
        names = []
        for metric in self.metrics:
            if metric is self._compile_metrics:
                for m, name in zip(metric.metrics, metric.log_names):
                    if isinstance(m, compile_utils.CompileMetrics):
                        names.extend(m.log_names)  # a container passed back to compile()
                    else:
                        names.append(name)
            else:
                names.append(metric.name)
        return names

    def _float_logs(self, logs=None):
        """Python numbers for the epoch's logs: the metrics' results, or, when a custom
        step returned other keys, its last logs (Keras's rule)."""
        results = self.get_metrics_result()
        if logs is not None and set(logs) != set(results):
            return {k: _to_float(v) for k, v in _flat_logs(logs).items()}
        dist = getattr(self, "_distribution", None)
        if dist is not None and dist.num_processes > 1:
            return self._aggregated_float_logs(dist)
        return {k: _to_float(v) for k, v in results.items()}

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

    # -- the steps: override these to customise fit / evaluate / predict ----------
    def train_step(self, data):
        """One training step on ``data``, exactly what the dataset yields (``x``,
        ``(x, y)`` or ``(x, y, sample_weight)``); returns the logs (a dict).

        The default: forward pass, ``compute_loss``, gradients, ``optimizer.apply``,
        the loss tracker and ``compute_metrics``.
        """
        x, y, sample_weight = data_adapters.unpack_x_y_sample_weight(data)
        y_pred = self._train_update(x, y, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """One evaluation step on ``data``; returns the logs (a dict)."""
        x, y, sample_weight = data_adapters.unpack_x_y_sample_weight(data)
        y_pred = self._test_update(x, y, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The outputs for one batch of ``data`` (its ``y`` and sample weights, if any,
        are ignored)."""
        x, _, _ = data_adapters.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _train_update(self, x, y, sample_weight):
        """The default step's work before the compiled metrics: forward, loss,
        gradients, update and loss tracker; returns ``y_pred`` (no gradient)."""
        variables = self._step_variables
        scale = self._step_scale_loss

        def objective():
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, True)
            return (loss if scale is None else scale(loss)), (y_pred, loss)

        if variables:
            (y_pred, loss), grads = self._step_primitives.value_and_grad(objective, variables)
            self.optimizer.apply(grads, variables)
        else:
            _, (y_pred, loss) = objective()
        self._loss_tracker.update_state(ops.stop_gradient(loss), _batch_size(x))
        if tree.is_nested(y_pred):
            return tree.map_structure(ops.stop_gradient, y_pred)
        return ops.stop_gradient(y_pred)

    def _test_update(self, x, y, sample_weight):
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, False)
        self._loss_tracker.update_state(loss, _batch_size(x))
        return y_pred

    def _default_train_step(self, batch):
        """What ``fit`` runs when ``train_step`` is not overridden: ``train_step``
        without building the logs, which fit reads only when a callback needs them."""
        x, y, sample_weight = batch
        y_pred = self._train_update(x, y, sample_weight)
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)

    def _default_test_step(self, batch):
        x, y, sample_weight = batch
        y_pred = self._test_update(x, y, sample_weight)
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)

    def _default_predict_step(self, batch):
        return self(batch[0], training=False)

    # -- step functions ----------------------------------------------------------
    def _step(self, kind):
        """The Python function one batch runs through: the default step, or the
        subclass's override called with the data packed as the dataset gave it."""
        method = getattr(type(self), f"{kind}_step")
        if method is getattr(Trainer, f"{kind}_step"):
            return getattr(self, f"_default_{kind}_step")
        override = getattr(self, f"{kind}_step")
        pack = data_adapters.pack_x_y_sample_weight
        return lambda batch: override(pack(*batch))

    def _prepare_steps(self):
        """What the train step reads, bound once per step function rather than per batch
        (a data-parallel step replaces ``_step_primitives`` with its own gradients)."""
        self._regularized = None
        optimizer = self.optimizer
        # Plain attributes: a list of variables set through Layer's __setattr__ would be
        # tracked as the model's own weights.
        vars(self).update(
            _step_primitives=_backend().trainer,
            _step_variables=self.trainable_variables,
            _step_scale_loss=(optimizer.scale_loss
                              if getattr(optimizer, "loss_scale_factor", None) else None),
        )

    def make_train_function(self, force=False):
        dist = getattr(self, "_distribution", None)
        if self.train_function is None or force or self._step_distribution[0] is not dist:
            if self.optimizer is None and type(self).train_step is Trainer.train_step:
                raise ValueError(
                    f"Model '{self.name}' was compiled with optimizer=None: fit() needs an "
                    "optimizer (pass optimizer='rmsprop', another name or an instance to "
                    "compile()).")
            self._prepare_steps()
            if not self._step_variables and type(self).train_step is Trainer.train_step:
                import warnings

                from cornu import CornuWarning

                warnings.warn(f"Model '{self.name}' has no trainable weights: fit() "
                              "computes the loss and metrics but updates nothing.",
                              stacklevel=4, category=CornuWarning)
            if dist is None:
                self.train_function = _backend().trainer.make_step(
                    self._step("train"), self, training=True)
            else:
                self._check_default_step("train", dist)
                self.train_function = _each(dist._impl.make_train_function(self))
            self._step_distribution[0] = dist
        return self.train_function

    def make_test_function(self, force=False):
        dist = getattr(self, "_distribution", None)
        if self.test_function is None or force or self._step_distribution[1] is not dist:
            self._regularized = None
            if dist is None:
                self.test_function = _backend().trainer.make_step(
                    self._step("test"), self, training=False)
            else:
                self._check_default_step("test", dist)
                self.test_function = _each(dist._impl.make_test_function(self))
            self._step_distribution[1] = dist
        return self.test_function

    def make_predict_function(self, force=False):
        if self.predict_function is None or force:
            self.predict_function = _backend().trainer.make_step(
                self._step("predict"), self, training=False)
        return self.predict_function

    def _check_default_step(self, kind, dist):
        if getattr(type(self), f"{kind}_step") is not getattr(Trainer, f"{kind}_step"):
            raise ValueError(
                f"Model '{self.name}' overrides {kind}_step(), which "
                f"{type(dist).__name__} does not run yet: it trains with the default step "
                "(the gradients are reduced across the replicas inside it). Train without "
                "a distribution, or move the custom logic into compute_loss()."
            )

    @property
    def _step_distribution(self):
        """The distributions the cached train and test steps were made for."""
        made_for = self.__dict__.get("_made_for")
        if made_for is None:
            made_for = self.__dict__["_made_for"] = [None, None]
        return made_for

    def _assert_compiled(self, method):
        if not getattr(self, "compiled", False):
            # A ValueError with Keras's wording ("You must call `compile()` before"),
            # which libraries' tests match.
            raise ValueError(
                f"You must call `compile()` before using the model's {method}() "
                f"(model '{self.name}')."
            )

    def _ensure_built(self, x):
        if not self.built:
            if _defines_call(type(self)):
                sample = tree.map_structure(lambda a: a[:2] if hasattr(a, "shape") else a, x)
                self(sample)  # builds every layer on a tiny slice of real data
            elif all(layer.built for layer in self._layers):
                self.built = True  # e.g. a GAN: only its sub-models run, in a custom step
            else:
                raise RuntimeError(
                    f"Model '{self.name}' defines no call() and some of its layers are not "
                    "built; build them (call them on data) before fit/evaluate/predict."
                )
        self._build_compile_objects()
        vars(self)["_reported"] = self.metrics  # the compiled metrics may be new
        if self.optimizer is not None and hasattr(self.optimizer, "build") and not getattr(
            self.optimizer, "built", False
        ):
            self.optimizer.build(self.trainable_variables)

    # -- fit ------------------------------------------------------------------------
    @filter_traceback
    @_with_distribution
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns the ``History`` callback."""
        _check_count("fit", "batch_size", batch_size)
        _check_count("fit", "epochs", epochs, minimum=0, allow_none=False)
        _check_count("fit", "initial_epoch", initial_epoch, minimum=0, allow_none=False)
        _check_count("fit", "steps_per_epoch", steps_per_epoch)
        _check_count("fit", "validation_steps", validation_steps)
        _check_count("fit", "validation_batch_size", validation_batch_size)
        _check_validation_freq(validation_freq)
        self._assert_compiled("fit")
        epochs = data_adapters.capped_epochs(epochs)  # cornu.config.max_epochs()
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
        cbs.on_train_begin({})
        initial_epoch, skip_steps = self._resume_point(initial_epoch)
        epoch_logs = {}
        want_batch_begin = cbs.needs("on_train_batch_begin")
        want_batch_end = cbs.needs("on_train_batch_end")
        per_execution = self._steps_per_execution()
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch, {})
            end = -1
            logs = None
            batches = iter(adapter)
            if skip_steps:  # resuming mid-epoch: the first batches were trained already
                batches = itertools.islice(batches, skip_steps, None)
            for begin, end, group in _groups(batches, per_execution, skip_steps):
                if train_fn is None:
                    self._ensure_built(group[0][0])
                    train_fn = self.make_train_function()
                if want_batch_begin:
                    cbs.on_train_batch_begin(begin, {})
                logs = train_fn(group)
                if want_batch_end:
                    cbs.on_train_batch_end(end, self._batch_logs(logs))
                if self.stop_training:
                    break
            skip_steps = 0
            if end < 0:
                raise _no_data("fit")
            if adapter.num_batches is None:
                adapter.num_batches = end + 1
            epoch_logs = self._float_logs(logs)
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

    def _steps_per_execution(self):
        n = getattr(self, "steps_per_execution", 1)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(
                f"compile(steps_per_execution=...) must be a positive integer, received {n!r}"
            )
        return n

    def _batch_logs(self, logs):
        """The logs a batch-level callback gets: the step's own, else the metrics'."""
        if logs is None:
            return self.get_metrics_result()
        return _flat_logs(logs)

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
    @filter_traceback
    @_with_distribution
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the given data (a list, a scalar, or a dict)."""
        _check_count("evaluate", "batch_size", batch_size)
        _check_count("evaluate", "steps", steps)
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
        return self._in_metrics_order(logs)

    def _in_metrics_order(self, logs):
        """Keras's list form of the logs: ``metrics`` order, then the other keys sorted."""
        names = [n for n in self._metric_names_in_order() if n in logs]
        values = [logs[n] for n in names] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def _evaluate_adapter(self, adapter, cbs, in_fit):
        self.reset_metrics()
        cbs.on_test_begin({})
        test_fn = None
        want_end = cbs.needs("on_test_batch_end")
        want_begin = cbs.needs("on_test_batch_begin")
        logs = None
        end = -1
        for begin, end, group in _groups(iter(adapter), self._steps_per_execution(), 0):
            if test_fn is None:
                self._ensure_built(group[0][0])
                test_fn = self.make_test_function()
            if want_begin:
                cbs.on_test_batch_begin(begin, {})
            logs = test_fn(group)
            if want_end:
                cbs.on_test_batch_end(end, self._batch_logs(logs))
        if end < 0 and not in_fit:  # (empty validation data in fit: left as it was)
            raise _no_data("evaluate")
        logs = self._float_logs(logs)
        cbs.on_test_end(logs)
        return logs

    # -- predict -------------------------------------------------------------------
    @filter_traceback
    @_with_distribution
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for the inputs ``x``, as numpy arrays (batched; no gradient)."""
        _check_count("predict", "batch_size", batch_size)
        _check_count("predict", "steps", steps)
        if verbose == "auto":
            verbose = 1
        adapter = data_adapters.get_data_adapter(x, batch_size=batch_size, steps=steps,
                                                 shuffle=False)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=adapter.num_batches,
        )
        cbs.on_predict_begin({})
        predict_fn = None
        outputs = []
        want_end = cbs.needs("on_predict_batch_end")
        want_begin = cbs.needs("on_predict_batch_begin")
        for begin, end, group in _groups(iter(adapter), self._steps_per_execution(), 0):
            if predict_fn is None:
                if not self.built:
                    self._ensure_built(group[0][0])
                predict_fn = self.make_predict_function()
            if want_begin:
                cbs.on_predict_batch_begin(begin, {})
            outs = [predict_fn((batch,)) for batch in group]
            outputs.extend(outs)
            if want_end:  # one call per steps_per_execution group, with its outputs
                out = outs[0] if len(outs) == 1 else _concat(outs)
                cbs.on_predict_batch_end(end, {"outputs": out})
        cbs.on_predict_end({})
        if not outputs:
            raise _no_data("predict")
        return _concat_to_numpy(outputs)

    # -- single batches ---------------------------------------------------------------
    @filter_traceback
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient update on one batch; returns the loss and metrics."""
        self._assert_compiled("train_on_batch")
        batch = next(iter(data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=_num_samples(x), class_weight=class_weight)))
        self._ensure_built(batch[0])
        self.reset_metrics()
        logs = self.make_train_function()((batch,))
        return self._batch_result(logs, return_dict)

    @filter_traceback
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch."""
        self._assert_compiled("test_on_batch")
        batch = next(iter(data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=_num_samples(x))))
        self._ensure_built(batch[0])
        self.reset_metrics()
        logs = self.make_test_function()((batch,))
        return self._batch_result(logs, return_dict)

    @filter_traceback
    def predict_on_batch(self, x):
        """Outputs for one batch, as numpy arrays."""
        batch = next(iter(data_adapters.get_data_adapter(x, batch_size=_num_samples(x))))
        if not self.built:
            self._ensure_built(batch[0])
        return _concat_to_numpy([self.make_predict_function()((batch,))])

    def _batch_result(self, logs, return_dict):
        logs = self._float_logs(logs)
        if return_dict:
            return logs
        return self._in_metrics_order(logs)


def _each(step):
    """A per-batch step function as a step over a group of batches."""

    def run(batches):
        for batch in batches:
            step(batch)

    return run


def _groups(batches, size, first_step):
    """``(first step, last step, batches)`` for each group of ``size`` batches (the
    ``steps_per_execution`` groups; the last one may be shorter, and its last step is
    still reported as ``first + size - 1``, as Keras 3 does)."""
    step = first_step
    if size == 1:
        for batch in batches:
            yield step, step, (batch,)
            step += 1
        return
    while True:
        group = tuple(itertools.islice(batches, size))
        if not group:
            return
        yield step, step + size - 1, group
        step += len(group)


def _concat(outputs):
    """The outputs of several batches as one (a structure of tensors)."""
    flat = [tree.flatten(o) for o in outputs]
    joined = [ops.concatenate([f[i] for f in flat], axis=0) for i in range(len(flat[0]))]
    return tree.pack_sequence_as(outputs[0], joined)


def _flat_logs(logs):
    """A step's logs with nested dicts (a metric returning several values) flattened."""
    if not isinstance(logs, dict):
        return {"output": logs}
    if not any(isinstance(v, dict) for v in logs.values()):
        return logs
    flat = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(_flat_logs(value))
        else:
            flat[key] = value
    return flat


def _batch_size(x):
    """The number of samples in the batch ``x`` (a tensor inside a compiled graph)."""
    first = x if not tree.is_nested(x) else tree.flatten(x)[0]
    return ops.shape(first)[0]


def _takes_training(cls):
    """Whether ``cls.compute_loss`` accepts ``training`` (cached on the class)."""
    takes = cls.__dict__.get("_compute_loss_takes_training")
    if takes is None:
        params = inspect.signature(cls.compute_loss).parameters
        takes = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        cls._compute_loss_takes_training = takes
    return takes


def _defines_call(cls):
    from cornu.layer import Layer

    return cls.call is not Layer.call


def _attribute_metrics(owner):
    """The metrics set as attributes of ``owner`` (directly or in a list/tuple/dict)."""
    out = []
    for name, value in vars(owner).items():
        if name in ("_loss_tracker", "_compile_metrics", "_reported"):
            continue
        items = value.values() if isinstance(value, dict) else (
            value if isinstance(value, (list, tuple)) else (value,))
        for item in items:
            kind = type(item)
            if (hasattr(kind, "update_state") and hasattr(kind, "result")
                    and hasattr(kind, "reset_state") and not isinstance(item, type)):
                out.append(item)
    return out


def _no_data(method):
    """The error for a loop whose input yielded no batch (fit, evaluate, predict)."""
    return ValueError(
        f"{method}() received no data: the input yielded no batches. Check that it is "
        "not empty and that a generator is not exhausted."
    )


def _num_samples(x):
    return int(tree.flatten(x)[0].shape[0])


def _check_count(method, name, value, minimum=1, allow_none=True):
    """A ValueError naming ``name`` unless ``value`` is an integer >= ``minimum`` (or
    None where allowed), checked before any work: a negative ``batch_size`` would
    otherwise end in an unrelated error far from the call."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{method}(): {name} must be {kind}{' or None' if allow_none else ''}"
                         f", received {value!r}")


def _check_validation_freq(freq):
    """``validation_freq``: a positive integer, or a collection of epochs (1-based)."""
    if isinstance(freq, bool):
        ok = False
    elif isinstance(freq, (int, np.integer)):
        ok = freq >= 1
    else:
        try:
            ok = all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) and e >= 1
                     for e in freq)
        except TypeError:
            ok = False
    if not ok:
        raise ValueError(
            "fit(): validation_freq must be a positive integer (validate every N epochs) "
            f"or a collection of epoch numbers (1-based), received {freq!r}"
        )


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def _concat_to_numpy(outputs):
    # The backend joins each output on the device and copies it to the host once, for
    # structured outputs too (not once per batch and output).
    return _backend().trainer.concat_to_numpy(outputs)
