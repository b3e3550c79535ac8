"""Low-rank adaptation (LoRA, Hu et al. 2021) for the layers with one large matrix.

``layer.enable_lora(rank)`` freezes the layer's matrix ``W`` (Dense's and
EinsumDense's ``kernel``, Embedding's ``embeddings``) and adds two float32 factors
``A`` (``W.shape[:-1] + (rank,)``) and ``B`` (``(rank, W.shape[-1])``), trainable; the
layer then computes with ``W + (lora_alpha / rank) * A @ B``.  ``B`` starts at zero,
so enabling LoRA changes nothing until training moves it.  The layer's matrix
attribute (``layer.kernel``) reads as that merged value, as in Keras.

Saved weights hold the merged matrix in ``W``'s place (the file has the same layout
as the layer without LoRA, readable by any Keras); loading assigns ``W`` and zeroes
the factors.  ``lora_rank=`` in the constructor enables LoRA when the layer builds.
"""
from cornu import ops
from cornu.layers import _utils


def adapted(name):
    """The property of the adapted matrix ``name``: the variable (stored as ``_name``),
    or with LoRA enabled its merged value."""
    def get(self):
        return self._merged()

    def put(self, value):
        setattr(self, "_" + name, value)

    return property(get, put, doc=f"The {name} variable; with LoRA, its merged value "
                                  "``W + (lora_alpha / rank) * A @ B``.")


class LoRA:
    """The LoRA part of a layer.  The layer class sets ``_lora_target`` (the name of the
    matrix's attribute, e.g. ``"kernel"``, stored as ``_kernel``) and ``_lora_names``
    (the factors' weight names), and calls :meth:`_init_lora` and, at the end of
    ``build``, :meth:`_build_lora`."""

    _lora_target = "kernel"
    _lora_names = ("lora_kernel_a", "lora_kernel_b")

    def _init_lora(self, lora_rank, lora_alpha):
        if lora_rank is not None:
            _utils.check_positive_int(lora_rank, "lora_rank", type(self).__name__)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _build_lora(self):
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def _lora_base(self):
        return getattr(self, "_" + self._lora_target)

    def _merged(self):
        """``W + (alpha / rank) * A @ B`` in ``W``'s dtype (``W`` itself without LoRA)."""
        base = self._lora_base()
        if not self.lora_enabled:
            return base
        delta = ops.matmul(self._lora_factors[0], self._lora_factors[1])
        dtype = ops.standardize_dtype(base.dtype)
        if "int" in dtype:  # a quantized matrix (as Keras: the sum in the compute dtype)
            dtype = self.compute_dtype
        return ops.cast(ops.add(base, ops.multiply(delta, self.lora_alpha / self.lora_rank)),
                        dtype)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freeze the layer's matrix and train a rank-``rank`` update of it instead
        (``lora_alpha`` scales the update by ``lora_alpha / rank``; default ``rank``)."""
        kind = type(self).__name__
        target = self._lora_target
        if getattr(self, f"{target}_constraint", None) is not None:
            raise ValueError(
                f"Layer '{self.name}' ({kind}): LoRA cannot be enabled with a "
                f"{target}_constraint (the constraint would not see the adapted matrix); "
                "remove the constraint")
        if not self.built:
            raise ValueError(f"Layer '{self.name}' ({kind}): build the layer before "
                             "enable_lora() (call it on data, or call build())")
        if self.lora_enabled:
            raise ValueError(f"Layer '{self.name}' ({kind}): LoRA is already enabled; it "
                             "can be enabled once per layer")
        _utils.check_positive_int(rank, "rank", f"{kind}.enable_lora")
        base = self._lora_base()
        shapes = (tuple(base.shape[:-1]) + (rank,), (rank, base.shape[-1]))
        regularizer = getattr(self, f"{target}_regularizer", None)
        # float32 factors whatever the layer's dtype: small updates must not underflow
        self._lora_factors = [
            self.add_weight(name=name, shape=shape, dtype="float32", regularizer=regularizer,
                            initializer=_utils.get_initializer(initializer))
            for name, shape, initializer in zip(self._lora_names, shapes,
                                                (a_initializer, b_initializer))]
        for name, factor in zip(self._lora_names, self._lora_factors):
            object.__setattr__(self, name, factor)  # tracked by add_weight already
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    # -- saving: the merged matrix in the matrix's place -------------------------------
    def _saved_weights(self):
        """The layer's own weights as a weights file holds them (in Keras's order), the
        LoRA factors left out: their update is merged into the matrix."""
        skip = {id(f) for f in getattr(self, "_lora_factors", ())}
        out = []
        for weight in self._trainable_variables + self._non_trainable_variables:
            if id(weight) not in skip:
                skip.add(id(weight))
                out.append(weight)
        return out

    def save_own_variables(self, store):
        base = self._lora_base()
        for i, weight in enumerate(self._saved_weights()):
            store[str(i)] = ops.convert_to_numpy(self._merged() if weight is base else weight)

    def load_own_variables(self, store):
        targets = self._saved_weights()
        if len(store) != len(targets):
            raise ValueError(
                f"Layer '{self.name}' expected {len(targets)} variables, but the file has "
                f"{len(store)}.")
        for i, weight in enumerate(targets):
            value = store[str(i)]
            if tuple(value.shape) != tuple(weight.shape):
                raise ValueError(
                    f"Layer '{self.name}': variable {weight.path} has shape "
                    f"{tuple(weight.shape)}, but the file holds shape {tuple(value.shape)}.")
            weight.assign(value)
        if self.lora_enabled:  # the file's matrix already holds any merged update
            for factor in self._lora_factors:
                factor.assign(ops.zeros(factor.shape, factor.dtype))

    def _lora_config(self):
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha} \
            if self.lora_rank else {}
