"""``cornu.optimizers.Optimizer``: the Keras 3 optimizer base class.

How an update runs (``apply(grads, trainable_variables)``):

1. gradients that are ``None`` are dropped (with a warning), the rest become
   native tensors of their variable's dtype;
2. ``loss_scale_factor`` is undone, then gradient accumulation (if configured)
   decides whether this step updates or only accumulates;
3. ``clipnorm`` / ``clipvalue`` / ``global_clipnorm``, then decoupled weight
   decay (``var -= var * weight_decay * lr``), then the optimizer's own update;
4. weight constraints, the EMA of the weights (if ``use_ema``) and finally
   ``iterations += 1``.

Inside a ``cornu.StatelessScope`` (``stateless_apply`` opens one) ``apply`` takes the
per-variable path on every backend, reads the values the scope maps and records its
writes there (``Optimizer.assign*`` go through ``Variable.assign*``), so no variable
changes; the conditional parts (gradient accumulation, EMA overwrites) run both
branches and select the values with ``where``.

Step 3 has two implementations chosen once at ``build``.  The family asks the
backend (its optional ``optimizer_kernels`` part, see ``cornu.optimizers._math``),
never its name: where the namespace declares ``xp.fused`` and the backend has a
fused kernel for the optimizer (``xp.kernels["adam"]``, on torch with
``torch._foreach_*``: no host sync, no per-variable python loop), the kernel
updates all variables at once; everywhere else (tensorflow, inside the trainer's
``tf.function``) ``update_step(gradient, variable, learning_rate)`` runs per
variable with graph-safe tensor ops and variable assigns.  A kernel is used only
when the class that defines ``update_step`` is the cornu optimizer registered under
the kernel's name: a subclass that overrides ``update_step`` (the Keras way to
write an optimizer) uses the per-variable path on every backend.
"""
import re
import warnings

import numpy as np

from cornu import CornuWarning, config, naming
from cornu import scopes as _scopes
from cornu.optimizers._math import get_math
from cornu.optimizers.schedules.learning_rate_schedule import LearningRateSchedule
from cornu.variables import Variable

_BASE_ARGS_DOC = """
    Args (common to all optimizers):
        learning_rate: a float, a ``LearningRateSchedule``, or a callable taking
            no arguments and returning the learning rate.
        weight_decay: a float; if set, decoupled weight decay is applied
            (``var -= var * weight_decay * learning_rate`` before the update).
        clipnorm: a float; each gradient is clipped to this L2 norm.
        clipvalue: a float; each gradient is clipped element-wise to
            ``[-clipvalue, clipvalue]``.
        global_clipnorm: a float; all gradients are scaled together so that
            their global L2 norm is at most this value.
        use_ema: whether to keep an exponential moving average of the weights.
        ema_momentum: the EMA momentum (``avg = m * avg + (1 - m) * var``).
        ema_overwrite_frequency: every this many iterations, the weights are
            overwritten with their moving average (None: only at
            ``finalize_variable_values``).
        loss_scale_factor: a float; gradients are divided by it in ``apply``
            (multiply the loss by it with ``scale_loss`` before differentiating).
        gradient_accumulation_steps: an int >= 2; gradients are averaged over
            this many steps and the variables are updated every that many steps.
        name: the optimizer's name (defaults to the snake-cased class name).
"""


_stateless_open = _scopes._open_stateless  # open StatelessScopes (any thread): one read


def _is_number(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


class Optimizer:
    """The base class of all optimizers (the Keras 3 API).

    To write an optimizer, subclass it, create slot variables in ``build``
    (``self.add_optimizer_variables(var_list, "momentum")``), implement
    ``update_step(gradient, variable, learning_rate)`` with ``self.assign``,
    ``self.assign_add`` and ``self.assign_sub``, and extend ``get_config``.
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2, category=CornuWarning)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self._check_arguments(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                              ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                              gradient_accumulation_steps)
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        self._xp = get_math()
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._exclude_from_weight_decay = set()
        self._exclude_from_weight_decay_pattern = None
        self._groups = {}
        self._group = None
        self._group_idx = ()

        self._iterations = self._create_variable(0, "iteration", "int64")
        if isinstance(learning_rate, LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Variable)
        ):
            self._learning_rate = learning_rate
        else:
            if not _is_number(learning_rate):
                raise ValueError(
                    "Argument `learning_rate` should be float, or an instance of "
                    "LearningRateSchedule, or a callable (that takes in the current "
                    "iteration value and returns the corresponding learning rate value). "
                    f"Received instead: learning_rate={learning_rate!r}"
                )
            self._learning_rate = self._create_variable(
                float(learning_rate), "learning_rate", config.floatx()
            )

    @staticmethod
    def _check_arguments(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps):
        if gradient_accumulation_steps:
            if (not isinstance(gradient_accumulation_steps, (int, np.integer))
                    or isinstance(gradient_accumulation_steps, bool)
                    or gradient_accumulation_steps < 2):
                raise ValueError(
                    "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                    f"gradient_accumulation_steps={gradient_accumulation_steps}"
                )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, (int, np.integer))
                or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        for arg, value in (("weight_decay", weight_decay), ("clipnorm", clipnorm),
                           ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)):
            if value is not None and not _is_number(value):
                raise ValueError(f"`{arg}` must be a float or None. Received: {arg}={value!r}")
        if loss_scale_factor is not None and (
            not _is_number(loss_scale_factor) or loss_scale_factor <= 0
        ):
            raise ValueError(
                "`loss_scale_factor` must be a positive float or None. Received: "
                f"loss_scale_factor={loss_scale_factor!r}"
            )

    # -- variables -------------------------------------------------------------------
    def _create_variable(self, value, name, dtype):
        with self._xp.init_scope():
            variable = Variable(value, dtype=dtype, trainable=False, name=name,
                                path=f"{self.name}/{name}", aggregation="only_first_replica")
        self._track_variable(variable)
        return variable

    def _track_variable(self, variable):
        self._variables.append(variable)

    def _untrack_variable(self, variable):
        self._variables = [v for v in self._variables if v is not variable]

    @property
    def variables(self):
        """All optimizer variables, in the Keras order: iterations, learning rate, slots."""
        return self._variables[:]

    @property
    def iterations(self):
        """The number of optimizer steps taken (``// gradient_accumulation_steps``)."""
        if self.gradient_accumulation_steps:
            return self._xp.floor_divide(self._iterations.value, self.gradient_accumulation_steps)
        return self._iterations

    def _iterations_native(self):
        it = self._iterations.value
        if self.gradient_accumulation_steps:
            return self._xp.floor_divide(it, self.gradient_accumulation_steps)
        return it

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none",
                     layout=None, name=None):
        """Create and track a non-trainable optimizer variable.

        Args:
            shape: the variable's shape (fully defined).
            initializer: an initializer object or name (default ``"zeros"``).
            dtype: the dtype (default ``cornu.config.floatx()``).
            aggregation: accepted for Keras compatibility.
            layout: accepted for Keras compatibility (must be None).
            name: the variable's name; its path is ``"<optimizer name>/<name>"``.
        Returns:
            The new ``cornu.Variable``.
        """
        from cornu import initializers

        if layout is not None:
            raise ValueError("Optimizer.add_variable(): `layout` is not supported by cornu")
        name = name or "variable"
        init = initializers.get(initializer)
        with self._xp.init_scope():
            variable = Variable(init, shape=tuple(shape), dtype=dtype or config.floatx(),
                                trainable=False, name=name, path=f"{self.name}/{name}",
                                aggregation=aggregation)
        self._track_variable(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """An optimizer variable shaped like ``reference_variable``.

        Its name is ``"<reference path with / as _>_<name>"``, e.g.
        ``"dense_kernel_momentum"``.
        """
        name = name or "var"
        path = getattr(reference_variable, "path", None)
        if path is not None:
            name = f"{path.replace('/', '_')}_{name}"
        else:
            ref = str(reference_variable.name).replace("/", "_").replace(":", "_")
            name = f"{ref}_{name}"
        return self.add_variable(shape=reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype, name=name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One optimizer variable per trainable variable (per name, interleaved like Keras).

        Args:
            trainable_variables: the model variables.
            name: a name or a list of names (one slot list per name).
            initializer: an initializer, or one per name.
        Returns:
            A list of variables, or a tuple of lists when ``name`` is a list.
            Variables with ``overwrite_with_gradient`` get ``None``.
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(name, str) or not isinstance(initializer, (list, tuple)):
            inits = [initializer] * len(names)
        else:
            inits = list(initializer)
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided "
                f"initializers. Received name='{name}', initializer='{initializer}'"
            )
        out = tuple([] for _ in names)
        for variable in trainable_variables:
            overwrite = getattr(variable, "overwrite_with_gradient", False)
            for i, (n, init) in enumerate(zip(names, inits)):
                out[i].append(None if overwrite else self.add_variable_from_reference(
                    variable, name=n, initializer=init))
        return out[0] if isinstance(name, str) else out

    # -- build -------------------------------------------------------------------------
    def build(self, variables):
        """Create the optimizer's variables for ``variables`` (the trainable variables)."""
        variables = list(variables)
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(
                    f"Optimizer '{self.name}' can only be built on cornu.Variable objects; "
                    f"received {type(v).__name__}: {v!r}"
                )
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                variables, "gradient_accumulator")
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(variables)}
        self._trainable_variables = variables
        self._overwrite_indices = {
            i for i, v in enumerate(variables) if getattr(v, "overwrite_with_gradient", False)
        }
        if self._overwrite_indices and self.gradient_accumulation_steps:
            raise NotImplementedError(
                f"Optimizer '{self.name}': variables with overwrite_with_gradient=True are not "
                "supported together with gradient_accumulation_steps"
            )
        self._weight_decay_flags = [self._use_weight_decay(v) for v in variables]
        self._constrained = {
            i: v for i, v in enumerate(variables) if getattr(v, "constraint", None) is not None
        }
        self._groups = {}
        self._choose_kernels(variables)
        self.built = True

    def _choose_kernels(self, variables):
        """Pick the backend's fused path or the per-variable path, once."""
        dtypes = {v.dtype for v in variables}
        self._fused = (
            self._xp.fused and len(dtypes) <= 1
            and all(d.startswith(("float", "bfloat")) for d in dtypes)
        )
        self._kernel = _kernel_for(type(self), self._xp.kernels) if self._fused else None

    def _var_key(self, variable):
        return id(variable)

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[id(variable)]

    def _indices(self, variables):
        index = self._trainable_variables_indices
        try:
            return tuple(map(index.__getitem__, map(id, variables)))
        except KeyError:
            for v in variables:
                if id(v) not in index:
                    raise ValueError(
                        f"Unknown variable: {v!r}. This optimizer can only be called for the "
                        "variables it was originally built with. When working with a new set "
                        "of variables, you should recreate a new optimizer instance."
                    ) from None
            raise

    def _set_group(self, idx):
        group = self._groups.get(idx)
        if group is None:
            if len(self._groups) > 16:
                self._groups.clear()
            group = self._groups[idx] = {}
        self._group = group
        self._group_idx = idx

    def _gather(self, slots):
        """The native handles of ``slots`` (a per-variable list) for the current variables."""
        key = id(slots)
        out = self._group.get(key)
        if out is None:
            out = self._group[key] = [slots[i].value for i in self._group_idx]
        return out

    # -- the learning rate -------------------------------------------------------------
    @property
    def learning_rate(self):
        """The current learning rate (the variable, or the schedule's value now)."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Variable)
        ):
            self._learning_rate = learning_rate
        else:
            if isinstance(self._learning_rate, LearningRateSchedule):
                raise TypeError(
                    "This optimizer was created with a `LearningRateSchedule` object as "
                    "its `learning_rate` constructor argument, hence its learning rate is "
                    "not settable. If you need the learning rate to be settable, you "
                    "should instantiate the optimizer with a float `learning_rate` argument."
                )
            if not isinstance(self._learning_rate, Variable):
                # It was a callable: make it a variable again.
                self._learning_rate = self._create_variable(
                    0.0, "learning_rate", config.floatx())
            if isinstance(learning_rate, Variable):
                learning_rate = learning_rate.value
            self._xp.assign(self._learning_rate.value, self._xp.cast(
                learning_rate, self._learning_rate.dtype))
        if previous is not None and self._learning_rate is not previous:
            self._untrack_variable(previous)

    def _get_current_learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        if callable(lr):
            return lr()
        return lr

    def _lr_native(self):
        """The current learning rate as a native float tensor."""
        lr = self._get_current_learning_rate()
        if isinstance(lr, Variable):
            return lr.value
        xp = self._xp
        if not xp.is_native(lr):
            lr = xp.convert(lr, config.floatx())
        return lr

    # -- assigning -------------------------------------------------------------------
    # In a StatelessScope the write goes to the scope (through the cornu.Variable; a
    # native value read from one, ``v.value``, is traced back to it).
    def assign(self, variable, value):
        """``variable = value`` (a cornu.Variable or a native variable)."""
        if _stateless_open[0]:
            target = _scoped_target(variable)
            if target is not None:
                target.assign(value)
                return
        self._xp.assign(variable.value if isinstance(variable, Variable) else variable, value)

    def assign_add(self, variable, value):
        """``variable += value``."""
        if _stateless_open[0]:
            target = _scoped_target(variable)
            if target is not None:
                target.assign_add(value)
                return
        self._xp.assign_add(variable.value if isinstance(variable, Variable) else variable,
                            value)

    def assign_sub(self, variable, value):
        """``variable -= value``."""
        if _stateless_open[0]:
            target = _scoped_target(variable)
            if target is not None:
                target.assign_sub(value)
                return
        self._xp.assign_sub(variable.value if isinstance(variable, Variable) else variable,
                            value)

    def _run_if(self, pred, true_fn, false_fn):
        """``xp.run_if``; in a StatelessScope both branches run, each in a scope of its
        own, and the values they write are selected by ``pred`` (graph-safe)."""
        scope = _scopes.get_stateless_scope() if _stateless_open[0] else None
        if scope is None:
            self._xp.run_if(pred, true_fn, false_fn)
            return
        from cornu import ops

        branches = []
        for fn in (true_fn, false_fn):
            branch = _scopes.StatelessScope._branch_of(scope)
            with branch:
                fn()
            branches.append(branch)
        taken, other = branches
        for key in set(taken.state_mapping) | set(other.state_mapping):
            a, b = taken.state_mapping.get(key), other.state_mapping.get(key)
            if a is b:
                continue
            variable = taken._variables.get(key)
            if variable is None:
                variable = other._variables[key]
            current = scope.state_mapping.get(key)
            if current is None:
                current = variable._value
            a = current if a is None else a
            b = current if b is None else b
            scope.add_update((variable, ops.where(pred, a, b)))

    # -- applying gradients ----------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply ``[(gradient, variable), ...]``; returns ``iterations``."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, variables = zip(*pairs)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update the variables with their gradients.

        Args:
            grads: a list of gradients (native tensors, or None for a variable
                without gradient), aligned with ``trainable_variables``.
            trainable_variables: the cornu Variables; the optimizer is built on
                them at the first call.  If None, the variables the optimizer was
                built with.
        """
        if _stateless_open[0] and _scopes.get_stateless_scope() is not None:
            self._apply_in_stateless_scope(grads, trainable_variables)
            return
        fast = self._plain_step
        if (fast is not None and trainable_variables is fast[0] and self._is_plain()
                and not any(g is None for g in grads)):
            # The training loop's case: the same variables every step and nothing but
            # the update itself to do (no clipping, decay, EMA, accumulation,
            # constraints, loss scale), with torch's dense gradients as they come.
            xp = self._xp
            with xp.no_grad():
                self._set_group(fast[1])
                self._backend_update_step(grads, trainable_variables, self._lr_native())
                xp.inplace_add(self._iterations.value, 1)
            return
        self._apply_general(grads, trainable_variables)

    def _apply_in_stateless_scope(self, grads, trainable_variables):
        """``apply`` in a StatelessScope: the per-variable path, none of the backend's
        fused in-place kernels, and nothing cached from (or for) the stateful path."""
        if not self.built and trainable_variables is not None:
            self.build(list(trainable_variables))
        saved = (self._fused, self._kernel, self._plain_step, self._groups, self._group,
                 self._group_idx)
        self._fused, self._kernel, self._plain_step, self._groups = False, None, None, {}
        try:
            self._apply_general(grads, trainable_variables)
        finally:
            (self._fused, self._kernel, self._plain_step, self._groups, self._group,
             self._group_idx) = saved

    def _apply_general(self, grads, trainable_variables):
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already "
                    "be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first."
                )
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Optimizer '{self.name}': received {len(grads)} gradients for "
                f"{len(variables)} variables"
            )
        xp = self._xp
        with xp.no_grad():
            idx = self._indices(variables)
            if any(g is None for g in grads):
                keep = [k for k, g in enumerate(grads) if g is not None]
                missing = [variables[k].path for k in range(len(grads)) if grads[k] is None]
                if not keep:
                    raise ValueError("No gradients provided for any variable.")
                warnings.warn(
                    f"Gradients do not exist for variables {missing} when minimizing the "
                    "loss. If using `model.compile()`, did you forget to provide a `loss` "
                    "argument?", stacklevel=2, category=CornuWarning)
                grads = [grads[k] for k in keep]
                variables = [variables[k] for k in keep]
                idx = tuple(idx[k] for k in keep)
            if self._overwrite_indices:
                grads, variables, idx = self._overwrite_variables_directly_with_gradients(
                    grads, variables, idx)
            if grads:
                self._set_group(idx)
                grads = self._prepare_gradients(grads)
                scale = self.loss_scale_factor
                if scale is not None:
                    grads = [g / scale for g in grads]
                self._backend_apply_gradients(grads, variables)
                if self._constrained:
                    for i in idx:
                        v = self._constrained.get(i)
                        if v is not None:
                            v.assign(v.constraint(v))
            self._increment_iterations()
        # The next call with this very list (the trainer's) may take the plain path.
        if (self._kernel is not None and trainable_variables is not None
                and len(grads) == len(variables) == len(trainable_variables)
                and self._is_plain() and not _overrides(type(self), _GENERAL_PATH)):
            self._plain_step = (trainable_variables, idx)
        else:
            self._plain_step = None

    #: ``(variables list, their indices)`` while ``apply`` may skip its general
    #: path for that list (see ``apply``); None otherwise.
    _plain_step = None

    def _is_plain(self):
        """Whether an update is the update step alone (no extra work around it)."""
        return not (self.gradient_accumulation_steps or self.use_ema or self.clipnorm
                    or self.clipvalue or self.global_clipnorm
                    or self.weight_decay is not None or self.loss_scale_factor is not None
                    or self._constrained or self._overwrite_indices)

    def _increment_iterations(self):
        if _stateless_open[0] and _scopes.get_stateless_scope() is not None:
            self._iterations.assign_add(1)
            return
        self._xp.inplace_add(self._iterations.value, 1)

    def _prepare_gradients(self, grads):
        """Native, dense gradients with their variable's dtype."""
        xp = self._xp
        params = self._gather(self._trainable_variables)
        if all(xp.is_native(g) and g.dtype == p.dtype and xp.densify(g) is g
               for g, p in zip(grads, params)):
            return grads  # the common case: dense native gradients already in place
        out = []
        for g, p in zip(grads, params):
            if isinstance(g, Variable):
                g = g.value
            if not xp.is_native(g):
                g = xp.convert(g)
            g = xp.densify(g)
            if g.dtype != p.dtype:
                g = xp.cast(g, p.dtype)
            out.append(g)
        return out

    def _overwrite_variables_directly_with_gradients(self, grads, variables, idx):
        keep = []
        for k, i in enumerate(idx):
            if i in self._overwrite_indices:
                self.assign(variables[k], grads[k])
            else:
                keep.append(k)
        return ([grads[k] for k in keep], [variables[k] for k in keep],
                tuple(idx[k] for k in keep))

    def _backend_apply_gradients(self, grads, trainable_variables):
        """Accumulation, clipping, weight decay, the update step, then the EMA."""
        steps = self.gradient_accumulation_steps
        if steps:
            xp = self._xp
            is_update_step = xp.equal((self._iterations.value + 1) % steps, 0)
            acc = self._gather(self._accumulated_gradients)

            def update():
                if self._fused:
                    summed = xp.list_add(grads, acc)
                    xp.list_div_(summed, float(steps))
                else:
                    summed = [(g + a) / steps for g, a in zip(grads, acc)]
                self._clip_decay_update(summed, trainable_variables)
                self._backend_reset_gradient_accumulators()

            def accumulate():
                self._backend_increment_gradient_accumulators(grads, acc)

            self._run_if(is_update_step, update, accumulate)
        else:
            self._clip_decay_update(grads, trainable_variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                xp = self._xp
                should = xp.equal((self._iterations_native() + 1)
                                  % self.ema_overwrite_frequency, 0)
                self._run_if(
                    should,
                    lambda: self._overwrite_model_variables_with_average_value(
                        self._trainable_variables),
                    lambda: None,
                )

    def _clip_decay_update(self, grads, trainable_variables):
        grads = self._clip_gradients(grads)
        learning_rate = self._lr_native()
        self._apply_weight_decay(trainable_variables, learning_rate)
        self._backend_update_step(grads, trainable_variables, learning_rate)

    def _backend_reset_gradient_accumulators(self):
        xp = self._xp
        if self._fused:
            xp.list_zero_([a.value for a in self._accumulated_gradients if a is not None])
        else:
            for a in self._accumulated_gradients:
                if a is not None:
                    self.assign(a, a.value * 0)

    def _backend_increment_gradient_accumulators(self, grads, acc):
        xp = self._xp
        if self._fused:
            xp.list_add_(acc, grads)
        else:
            accumulators = [self._accumulated_gradients[i] for i in self._group_idx]
            for a, g in zip(accumulators, grads):
                self.assign_add(a, g)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        """Update all variables: the backend's fused kernel, or ``update_step`` per variable."""
        kernel = self._kernel
        if kernel is not None:
            kernel(self, grads, self._gather(self._trainable_variables), learning_rate)
        else:
            self._update_step_generic(grads, trainable_variables, learning_rate)

    def _update_step_generic(self, grads, trainable_variables, learning_rate):
        for grad, variable in zip(grads, trainable_variables):
            self.update_step(grad, variable, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        """Update one variable (and its slots) given its gradient; override this."""
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement update_step(gradient, "
            "variable, learning_rate)"
        )

    # -- clipping and weight decay ------------------------------------------------------
    def _clip_gradients(self, grads):
        xp = self._xp
        if self.clipnorm and self.clipnorm > 0:
            clipnorm = float(self.clipnorm)
            if self._fused:
                return xp.list_clip_by_norm(grads, clipnorm)
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            clip = float(self.global_clipnorm)
            if self._fused:
                norm = xp.list_global_norm(grads)
            else:
                norm = xp.sqrt(sum(xp.sum_squares(g) for g in grads))
            scale = clip * xp.minimum(1.0 / norm, 1.0 / clip) + (norm - norm)
            if self._fused:
                return xp.list_mul(grads, scale)
            return [g * xp.cast(scale, xp.dtype_name(g)) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            v = float(self.clipvalue)
            if self._fused:
                return xp.list_clip(grads, -v, v)
            return [xp.clip(g, -v, v) for g in grads]
        return grads

    def _clip_by_norm(self, values):
        xp = self._xp
        l2sum = xp.sum_squares(values)
        pred = l2sum > 0
        l2sum_safe = xp.where(pred, l2sum, xp.cast(1.0, xp.dtype_name(l2sum)))
        l2norm = xp.where(pred, xp.sqrt(l2sum_safe), l2sum)
        return values * self.clipnorm / xp.maximum(l2norm, xp.cast(self.clipnorm,
                                                                      xp.dtype_name(l2norm)))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables from weight decay (call before the optimizer is built).

        Args:
            var_list: variables to exclude.
            var_names: strings; a variable whose name contains any of them is
                excluded (e.g. ``["bias"]``).
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the "
                "optimizer is built."
            )
        self._exclude_from_weight_decay = set(id(v) for v in var_list) if var_list else set()
        if var_names:
            self._exclude_from_weight_decay_pattern = re.compile(
                "|".join(re.escape(n) for n in set(var_names)))
        else:
            self._exclude_from_weight_decay_pattern = None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        if pattern is not None and pattern.search(variable.name) is not None:
            return False
        return True

    def _apply_weight_decay(self, variables, learning_rate=None):
        """``var -= var * weight_decay * learning_rate`` for the variables that decay."""
        if self.weight_decay is None:
            return
        xp = self._xp
        if learning_rate is None:
            learning_rate = self._lr_native()
        flags = self._weight_decay_flags
        if self._fused:
            key = "__decay__"
            handles = self._group.get(key)
            if handles is None:
                handles = self._group[key] = [
                    self._trainable_variables[i].value for i in self._group_idx if flags[i]
                ]
            if handles:
                lr = xp.astype(learning_rate, handles[0].dtype)
                xp.list_mul_(handles, 1 - self.weight_decay * lr)
            return
        for variable in variables:
            if flags[self._get_variable_index(variable)]:
                lr = xp.cast(learning_rate, variable.dtype)
                wd = xp.cast(self.weight_decay, variable.dtype)
                self.assign_sub(variable, variable.value * wd * lr)

    # -- EMA ------------------------------------------------------------------------------
    def _update_model_variables_moving_average(self, trainable_variables):
        """``average = m * average + (1 - m) * variable`` (m = 0 at the first step)."""
        if not self.use_ema:
            return
        xp = self._xp
        pairs = [(v, a) for v, a in zip(trainable_variables,
                                        self._model_variables_moving_average) if a is not None]
        if not pairs:
            return
        not_first = 1 - xp.cast(xp.equal(self._iterations_native(), 0), pairs[0][0].dtype)
        if self._fused:
            momentum = not_first * self.ema_momentum
            averages = [a.value for _, a in pairs]
            xp.list_mul_(averages, momentum)
            xp.list_add_(averages, xp.list_mul([v.value for v, _ in pairs], 1 - momentum))
            return
        for var, average in pairs:
            momentum = xp.cast(not_first, var.dtype) * self.ema_momentum
            self.assign(average, momentum * average.value + (1 - momentum) * var.value)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override "
                "does not match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the "
                "optimizer was called on your model."
            )
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                self.assign(var, average.value)

    def finalize_variable_values(self, var_list):
        """At the end of training: with ``use_ema``, set the weights to their averages."""
        if self.use_ema:
            with self._xp.no_grad():
                self._overwrite_model_variables_with_average_value(list(var_list))

    def scale_loss(self, loss):
        """The loss multiplied by ``loss_scale_factor`` (apply() divides the gradients)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """``apply`` as a function of values (``keras.Optimizer.stateless_apply``).

        Args:
            optimizer_variables: the values of ``self.variables``, in order (tensors).
            grads: the gradients, aligned with ``trainable_variables``.
            trainable_variables: the values of the variables the optimizer was built
                with, in order (tensors, not ``cornu.Variable``s).

        Returns:
            ``(trainable_variables, optimizer_variables)``: the updated values.  The
            optimizer's variables and the model's are unchanged (and so are the given
            tensors).
        """
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be built (i.e. "
                "its variables must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`.")
        own = self.variables
        if len(optimizer_variables) != len(own):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding "
                f"1:1 to {type(self).__name__}().variables. Received list with length "
                f"{len(optimizer_variables)}, but expected {len(own)} variables.")
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding "
                "1:1 to the trainable variables list that the optimizer was built with. "
                f"Received len(trainable_variables) == {len(trainable_variables)} whereas "
                f"the optimizer was built with {len(self._trainable_variables)} variables.")
        mapping = (list(zip(self._trainable_variables, trainable_variables))
                   + list(zip(own, optimizer_variables)))
        with _scopes.StatelessScope(state_mapping=mapping) as scope:
            self.apply(grads)
        return ([scope.get_current_value(v) for v in self._trainable_variables],
                [scope.get_current_value(v) for v in own])

    # -- weights ----------------------------------------------------------------------------
    def set_weights(self, weights):
        """Set the optimizer variables from a list of arrays (``variables`` order)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Please call `optimizer.build(trainable_variables)` to create the "
                "optimizer weights before calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path} has shape {variable.shape} not "
                    f"compatible with provided weight shape {tuple(np.shape(weight))}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Write the variables into ``store`` under "0", "1", ... (Keras format)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Read the variables written by ``save_own_variables``."""
        if len(store.keys()) != len(self.variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if len(self.variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2, category=CornuWarning)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(np.asarray(store[str(i)]))

    # -- config -----------------------------------------------------------------------------
    def get_config(self):
        """The optimizer's hyperparameters (the Keras 3 keys)."""
        from cornu.serialization import serialize_cornu_object

        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            learning_rate = serialize_cornu_object(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.numpy())
        elif callable(lr):
            learning_rate = serialize_cornu_object(lr)
        else:
            learning_rate = 0.5
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """An optimizer from ``get_config()`` output (a schedule config is rebuilt)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from cornu.serialization import deserialize_cornu_object

            config["learning_rate"] = deserialize_cornu_object(
                config["learning_rate"], custom_objects=custom_objects, kind="schedule")
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


def _scoped_target(variable):
    """The ``cornu.Variable`` a write to ``variable`` goes to in this thread's
    StatelessScope (``variable`` itself, or the one whose value it is), or None when no
    scope is open (or the value belongs to no variable the scope knows)."""
    scope = _scopes.get_stateless_scope()
    if scope is None:
        return None
    if isinstance(variable, Variable):
        return variable
    return scope._variable_for(variable)


def _kernel_for(cls, kernels):
    """The backend's fused kernel for optimizer class ``cls``, or None.

    Only where the class that defines ``update_step`` is the cornu optimizer that
    cornu-optimizers registers under the kernel's name (registry names are case- and
    underscore-insensitive: ``"schedule_free_adamw"`` is ``ScheduleFreeAdamW``); a
    subclass that overrides ``update_step`` gets none.
    """
    if not kernels:
        return None
    from cornu.optimizers import ALL_OPTIMIZERS

    owner = _owner(cls, "update_step")
    if owner is None or owner not in ALL_OPTIMIZERS:
        return None
    for key, kernel in kernels.items():
        if key.replace("_", "").lower() == owner.__name__.lower():
            return kernel
    return None


def _owner(cls, attr):
    """The class in ``cls``'s MRO that defines ``attr`` (None if none does)."""
    for klass in cls.__mro__:
        if attr in vars(klass):
            return klass
    return None


#: The steps of ``Optimizer.apply``'s general path that the plain path skips: a
#: subclass that overrides one of them always takes the general path.
_GENERAL_PATH = ("_prepare_gradients", "_backend_apply_gradients", "_clip_decay_update",
                 "_clip_gradients", "_apply_weight_decay")


def _overrides(cls, names):
    return any(getattr(cls, name) is not getattr(Optimizer, name) for name in names)

