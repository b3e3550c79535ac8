"""The backend specification: everything a cornu backend module provides.

A backend is a module registered under the ``cornu.backends`` entry-point group
(``cornu.backends.torch``, ``cornu.backends.numpy``...).  This module is its contract,
as data: :data:`PARTS` lists every attribute cornu or a family reads from a backend
module, each a :class:`Part` with its dotted name (``"core.convert_to_tensor"``; a
namespace is ``"core"``), its kind, whether it is required, its signature and what
it does.  :func:`check_backend` compares a module with it; ``cornu plugins`` shows
what each installed backend has; ``docs/backend-spec.md`` is :func:`render_markdown`.

The rules:

* A *namespace* is a submodule of the backend package (``cornu.backends.torch.nn``)
  or an attribute of the backend module.  A required namespace must be there; an
  optional one may be missing, and when it is there its required members must be too.
* The op namespaces (``core``, ``numpy``, ``nn``, ``math``, ``linalg``, ``image``,
  ``random``) are what ``cornu.ops`` and ``cornu.random`` bind to: ``cornu.ops.X``
  is the first of ``core``, ``numpy``, ``nn``, ``math``, ``linalg``, ``image`` that has
  ``X``.  Each op has the signature and the behaviour of the Keras 3 op of the same
  name (``keras.ops.X``, ``keras.random.X``) unless its ``doc`` says otherwise; the
  ones Keras does not have (``core.make_variable``, ``nn.dense``, ``core.to_sparse``...)
  are documented here.  A backend function may take more parameters (with defaults)
  than the spec's signature, never fewer.
* A part with a ``capability`` is required exactly when the backend declares that
  capability (``distribute`` for ``"distribution"``); a backend declares its
  capabilities in its module's ``CAPABILITIES`` (a set of :data:`CAPABILITIES`'
  names), and families ask ``cornu.backend.supports(name)`` instead of reading the
  backend's name.
* Optional parts have a generic fallback: the core or the family checks for them
  (``getattr(backend.core, "init_scope", None)``) and does without.

The argument checks and the generic op implementations backends share are
``cornu.ops.toolkit``.  This module imports no framework and no backend.
"""
import ast
import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field

from cornu.backend import CAPABILITIES as _CAPABILITIES

#: The capabilities a backend may declare, with what declaring one promises (defined in
#: ``cornu.backend``, which answers ``supports(name)``; the specification lists them).
CAPABILITIES = _CAPABILITIES

#: The op namespaces ``cornu.ops`` searches, in its order (``cornu.random`` is ``random``).
OPS_NAMESPACES = ("core", "numpy", "nn", "math", "linalg", "image")

KINDS = ("namespace", "function", "class", "constant")


@dataclass(frozen=True)
class Part:
    """One attribute of a backend module.

    Args:
        name: the dotted path from the backend module: ``"NAME"``, ``"core"``,
            ``"core.convert_to_tensor"``, ``"bases.Layer"``.
        kind: ``"namespace"`` (a submodule), ``"function"``, ``"class"`` or
            ``"constant"``.
        required: whether every backend must have it (a member of an optional
            namespace: whenever the namespace is there).
        signature: a function's or class's parameters, ``"(x, axis=None)"``;
            a constant's type (``"str"``).
        doc: what it does (for an op that Keras has: ``""``, it is the Keras op).
        capability: the capability that makes it required (``"distribution"``).
        keras: the Keras 3 name it implements (``"keras.ops.abs"``), if any.
        used_by: who calls it (``"cornu.variables"``, ``"cornu-layers: RNN"``).
    """

    name: str
    kind: str
    required: bool
    signature: str = ""
    doc: str = ""
    capability: str = ""
    keras: str = ""
    used_by: str = ""

    @property
    def namespace(self):
        """The namespace the part lives in (``"core"``), ``""`` at the top level or
        for a namespace itself."""
        return "" if self.kind == "namespace" else self.name.rpartition(".")[0]

    @property
    def attribute(self):
        """Its attribute name inside its namespace (``"convert_to_tensor"``)."""
        return self.name.rpartition(".")[2]

    def required_for(self, capabilities):
        """Whether a backend declaring ``capabilities`` must have this part."""
        return self.required or bool(self.capability and self.capability in capabilities)

    def description(self):
        """``doc``, or the Keras op it is when it has no doc of its own."""
        if self.doc:
            return self.doc
        return f"as ``{self.keras}``" if self.keras else ""


def _keras_name(namespace, name):
    if namespace == "random":
        return f"keras.random.{name}"
    if namespace in ("image", "linalg"):
        return f"keras.ops.{namespace}.{name}"
    return f"keras.ops.{name}"


def _parse_ops(namespace, table, used_by):
    """``Part``s of one op table: a line per op, ``name(signature)``, optionally
    `` -- doc`` (the ops Keras does not have), prefixed with ``?`` when optional."""
    parts = []
    for line in table.strip().splitlines():
        line = line.strip()
        optional = line.startswith("?")
        line = line.lstrip("?")
        head, _, doc = line.partition(" -- ")
        name, _, rest = head.partition("(")
        kind = "class" if name[:1].isupper() else "function"
        parts.append(Part(
            f"{namespace}.{name}", kind, not optional, "(" + rest, doc,
            keras="" if doc else _keras_name(namespace, name), used_by=used_by))
    return parts


# -- the op namespaces: what cornu.ops and cornu.random bind to ---------------------------
# Written from the torch and tensorflow backends (which agree on every name and signature)
# and Keras 3's op set; tests/core/test_backend_spec.py checks that every name cornu's own
# code reaches through cornu.ops / cornu.random is here, and that the backends define no
# public op missing from here.
_OPS = {
    "core": """
        assign(handle, value) -- write ``value`` into the native variable ``handle`` (what ``make_variable`` returned); returns the handle
        assign_add(handle, value) -- ``handle += value`` in place
        assign_sub(handle, value) -- ``handle -= value`` in place
        associative_scan(f, elems, reverse=False, axis=0)
        cast(x, dtype)
        compute_op_spec(fn, args, kwargs) -- the output ``KerasTensor``s of op ``fn`` called on symbolic ``args``/``kwargs`` (traced on placeholders: a graph with ``None`` dims, meta tensors)
        compute_output_spec(fn, *args, **kwargs) -- the output ``KerasTensor``s of ``fn(*args, **kwargs)`` for symbolic inputs (a layer's ``compute_output_spec``)
        cond(pred, true_fn, false_fn)
        convert_to_numpy(x)
        convert_to_tensor(x, dtype=None, sparse=None, ragged=None)
        custom_gradient(f)
        device_name() -- the name of the device new tensors go to (``"cpu"``, ``"cuda:0"``, ``"/device:GPU:0"``)
        dtype(x)
        fori_loop(lower, upper, body_fun, init_val)
        is_tensor(x)
        make_variable(value, dtype, trainable, name) -- a new native variable holding ``value`` (``cornu.Variable._value``); ``trainable``: whether gradients flow to it; ``name``: its path
        map(f, xs)
        rearrange(tensor, pattern, **axes_lengths)
        ?remat(f) -- ``f`` (a function or a layer's call) whose activations are recomputed in the backward pass (``cornu.remat``); without it remat is a no-op
        saturate_cast(x, dtype)
        scan(f, init, xs=None, length=None, reverse=False, unroll=1)
        scatter(indices, values, shape)
        scatter_update(inputs, indices, updates, reduction=None)
        set_trainable(handle, trainable) -- change whether gradients flow to the native variable ``handle``
        shape(x)
        slice(inputs, start_indices, shape)
        slice_update(inputs, start_indices, updates)
        standardize_dtype(dtype) -- the Keras name (``"float32"``) of any dtype spelling the backend meets (its own dtypes, numpy's, Python types, names)
        stop_gradient(x)
        switch(index, branches, *operands)
        to_sparse(x) -- ``x`` as the backend's sparse tensor (its nonzeros); a backend without sparse tensors may return ``x`` dense
        ?traceback_excluded_paths() -- the directories (each ending in a separator) whose frames traceback filtering drops besides cornu's own (the framework's package); called only while an error leaves a public entry point
        unstack(x, num=None, axis=0)
        ?unwrap_exception(err) -- the exception first raised, where ``err`` is the framework's re-raise of it (TensorFlow: AutoGraph's "in user code:" report), else ``err``; called only while an error propagates
        vectorized_map(function, elements)
        while_loop(cond, body, loop_vars, maximum_iterations=None)
    """,
    "numpy": """
        abs(x)
        absolute(x)
        add(x1, x2)
        all(x, axis=None, keepdims=False)
        allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False)
        amax(x, axis=None, keepdims=False, initial=None)
        amin(x, axis=None, keepdims=False, initial=None)
        angle(x)
        any(x, axis=None, keepdims=False)
        append(x1, x2, axis=None)
        arange(start, stop=None, step=None, dtype=None)
        arccos(x)
        arccosh(x)
        arcsin(x)
        arcsinh(x)
        arctan(x)
        arctan2(x1, x2)
        arctanh(x)
        argmax(x, axis=None, keepdims=False)
        argmin(x, axis=None, keepdims=False)
        argpartition(x, kth, axis=-1)
        argsort(x, axis=-1)
        array(x, dtype=None)
        array_split(x, indices_or_sections, axis=0)
        average(x, axis=None, weights=None)
        bartlett(x)
        bincount(x, weights=None, minlength=0, sparse=False)
        bitwise_and(x, y)
        bitwise_invert(x)
        bitwise_left_shift(x, y)
        bitwise_not(x)
        bitwise_or(x, y)
        bitwise_right_shift(x, y)
        bitwise_xor(x, y)
        blackman(x)
        broadcast_to(x, shape)
        cbrt(x)
        ceil(x)
        clip(x, x_min, x_max)
        concatenate(xs, axis=0)
        conj(x)
        conjugate(x)
        copy(x)
        corrcoef(x)
        correlate(x1, x2, mode='valid')
        cos(x)
        cosh(x)
        count_nonzero(x, axis=None)
        cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None)
        cumprod(x, axis=None, dtype=None)
        cumsum(x, axis=None, dtype=None)
        deg2rad(x)
        diag(x, k=0)
        diagflat(x, k=0)
        diagonal(x, offset=0, axis1=0, axis2=1)
        diff(a, n=1, axis=-1)
        digitize(x, bins)
        divide(x1, x2)
        divide_no_nan(x1, x2)
        dot(x1, x2)
        dsplit(x, indices_or_sections)
        dstack(xs)
        einsum(subscripts, *operands, **kwargs)
        empty(shape, dtype=None)
        empty_like(x, dtype=None)
        equal(x1, x2)
        exp(x)
        exp2(x)
        expand_dims(x, axis)
        expm1(x)
        eye(N, M=None, k=0, dtype=None)
        fabs(x)
        flip(x, axis=None)
        fliplr(x)
        flipud(x)
        floor(x)
        floor_divide(x1, x2)
        fmax(x1, x2)
        fmin(x1, x2)
        fmod(x1, x2)
        full(shape, fill_value, dtype=None)
        full_like(x, fill_value, dtype=None)
        gcd(x1, x2)
        geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0)
        get_item(x, key)
        greater(x1, x2)
        greater_equal(x1, x2)
        hamming(x)
        hanning(x)
        heaviside(x1, x2)
        histogram(x, bins=10, range=None)
        hsplit(x, indices_or_sections)
        hstack(xs)
        hypot(x1, x2)
        i0(x)
        identity(n, dtype=None)
        imag(x)
        inner(x1, x2)
        isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False)
        isfinite(x)
        isin(x1, x2, assume_unique=False, invert=False)
        isinf(x)
        isnan(x)
        isneginf(x)
        isposinf(x)
        isreal(x)
        kaiser(x, beta)
        kron(x1, x2)
        lcm(x1, x2)
        ldexp(x1, x2)
        left_shift(x, y)
        less(x1, x2)
        less_equal(x1, x2)
        linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0)
        log(x)
        log10(x)
        log1p(x)
        log2(x)
        logaddexp(x1, x2)
        logaddexp2(x1, x2)
        logical_and(x1, x2)
        logical_not(x)
        logical_or(x1, x2)
        logical_xor(x1, x2)
        logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0)
        matmul(x1, x2)
        matrix_transpose(x) -- ``x`` with its last two axes swapped
        max(x, axis=None, keepdims=False, initial=None)
        maximum(x1, x2)
        mean(x, axis=None, keepdims=False)
        median(x, axis=None, keepdims=False)
        meshgrid(*x, indexing='xy')
        min(x, axis=None, keepdims=False, initial=None)
        minimum(x1, x2)
        mod(x1, x2)
        moveaxis(x, source, destination)
        multiply(x1, x2)
        nan_to_num(x, nan=0.0, posinf=None, neginf=None)
        nanargmax(x, axis=None, keepdims=False)
        nanargmin(x, axis=None, keepdims=False)
        nancumprod(x, axis=None, dtype=None)
        nancumsum(x, axis=None, dtype=None)
        nanmax(x, axis=None, keepdims=False)
        nanmean(x, axis=None, keepdims=False)
        nanmedian(x, axis=None, keepdims=False)
        nanmin(x, axis=None, keepdims=False)
        nanpercentile(x, q, axis=None, method='linear', keepdims=False)
        nanprod(x, axis=None, keepdims=False)
        nanquantile(x, q, axis=None, method='linear', keepdims=False)
        nanstd(x, axis=None, keepdims=False)
        nansum(x, axis=None, keepdims=False)
        nanvar(x, axis=None, keepdims=False)
        ndim(x)
        negative(x)
        nextafter(x1, x2)
        nonzero(x)
        not_equal(x1, x2)
        ones(shape, dtype=None)
        ones_like(x, dtype=None)
        outer(x1, x2)
        pad(x, pad_width, mode='constant', constant_values=None)
        percentile(x, q, axis=None, method='linear', keepdims=False)
        power(x1, x2)
        prod(x, axis=None, keepdims=False, dtype=None)
        ptp(x, axis=None, keepdims=False)
        quantile(x, q, axis=None, method='linear', keepdims=False)
        rad2deg(x)
        ravel(x)
        real(x)
        reciprocal(x)
        repeat(x, repeats, axis=None)
        reshape(x, newshape)
        right_shift(x, y)
        roll(x, shift, axis=None)
        rot90(array, k=1, axes=(0, 1))
        round(x, decimals=0)
        rsqrt(x) -- ``1 / sqrt(x)``, elementwise (also ``math.rsqrt``)
        searchsorted(sorted_sequence, values, side='left')
        select(condlist, choicelist, default=0)
        sign(x)
        signbit(x)
        sin(x)
        sinc(x)
        sinh(x)
        size(x)
        slogdet(x)
        sort(x, axis=-1)
        split(x, indices_or_sections, axis=0)
        sqrt(x)
        square(x)
        squeeze(x, axis=None)
        stack(x, axis=0)
        std(x, axis=None, keepdims=False)
        subtract(x1, x2)
        sum(x, axis=None, keepdims=False)
        swapaxes(x, axis1, axis2)
        take(x, indices, axis=None)
        take_along_axis(x, indices, axis=None)
        tan(x)
        tanh(x)
        tensordot(x1, x2, axes=2)
        tile(x, repeats)
        trace(x, offset=0, axis1=0, axis2=1)
        transpose(x, axes=None)
        trapezoid(y, x=None, dx=1.0, axis=-1)
        tri(N, M=None, k=0, dtype=None)
        tril(x, k=0)
        triu(x, k=0)
        true_divide(x1, x2)
        trunc(x)
        unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None, fill_value=None)
        unravel_index(indices, shape)
        vander(x, N=None, increasing=False)
        var(x, axis=None, keepdims=False)
        vdot(x1, x2)
        vectorize(pyfunc, *, excluded=None, signature=None)
        view(x, dtype=None)
        vsplit(x, indices_or_sections)
        vstack(xs)
        where(condition, x1=None, x2=None)
        zeros(shape, dtype=None)
        zeros_like(x, dtype=None)
    """,
    "nn": """
        adaptive_average_pool(inputs, output_size, data_format=None)
        adaptive_max_pool(inputs, output_size, data_format=None)
        average_pool(inputs, pool_size, strides=None, padding='valid', data_format=None)
        batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=0.001)
        binary_crossentropy(target, output, from_logits=False)
        categorical_crossentropy(target, output, from_logits=False, axis=-1)
        celu(x, alpha=1.0)
        conv(inputs, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1)
        conv_transpose(inputs, kernel, strides=1, padding='valid', output_padding=None, data_format=None, dilation_rate=1)
        ctc_decode(inputs, sequence_lengths, strategy='greedy', beam_width=100, top_paths=1, merge_repeated=True, mask_index=0)
        ctc_loss(target, output, target_length, output_length, mask_index=0)
        dense(inputs, kernel, bias=None) -- ``inputs @ kernel + bias`` (``bias`` may be None): the Dense layer's kernel, one fused op where the framework has one
        depth_to_space(x, block_size, data_format='channels_last')
        depthwise_conv(inputs, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1)
        dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False, flash_attention=None, attn_logits_soft_cap=None)
        elu(x, alpha=1.0)
        fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1)
        gelu(x, approximate=True)
        glu(x, axis=-1)
        hard_shrink(x, threshold=0.5)
        hard_sigmoid(x)
        hard_silu(x)
        hard_swish(x)
        hard_tanh(x)
        layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs)
        leaky_relu(x, negative_slope=0.2)
        log_sigmoid(x)
        log_softmax(x, axis=-1)
        max_pool(inputs, pool_size, strides=None, padding='valid', data_format=None)
        moments(x, axes, keepdims=False, synchronized=False)
        multi_hot(x, num_classes, axis=-1, dtype=None, sparse=False)
        normalize(x, axis=-1, order=2, epsilon=None)
        one_hot(x, num_classes, axis=-1, dtype=None, sparse=False)
        polar(abs_, angle)
        psnr(x1, x2, max_val)
        relu(x)
        relu6(x)
        rms_normalization(x, scale=None, axis=-1, epsilon=None)
        selu(x)
        separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding='valid', data_format=None, dilation_rate=1)
        sigmoid(x)
        silu(x)
        soft_shrink(x, threshold=0.5)
        softmax(x, axis=-1)
        softplus(x)
        softsign(x)
        space_to_depth(x, block_size, data_format='channels_last')
        sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1)
        sparse_plus(x)
        sparse_sigmoid(x)
        sparsemax(x, axis=-1)
        squareplus(x, b=4)
        swish(x)
        tanh(x) -- ``tanh(x)`` as an activation (also ``numpy.tanh``)
        tanh_shrink(x)
        threshold(x, threshold, default_value)
        unfold(x, kernel_size, dilation=1, padding=0, stride=1)
    """,
    "math": """
        cdist(x, y)
        erf(x)
        erfc(x)
        erfinv(x)
        extract_sequences(x, sequence_length, sequence_stride)
        fft(x)
        fft2(x)
        ifft(x) -- the inverse of ``fft``: takes and returns a ``(real, imag)`` pair
        ifft2(x)
        in_top_k(targets, predictions, k)
        irfft(x, fft_length=None)
        istft(x, sequence_length, sequence_stride, fft_length, length=None, window='hann', center=True)
        logdet(x)
        logsumexp(x, axis=None, keepdims=False)
        rfft(x, fft_length=None)
        rsqrt(x)
        segment_max(data, segment_ids, num_segments=None, sorted=False)
        segment_min(data, segment_ids, num_segments=None, sorted=False)
        segment_prod(data, segment_ids, num_segments=None, sorted=False)
        segment_sum(data, segment_ids, num_segments=None, sorted=False)
        stft(x, sequence_length, sequence_stride, fft_length, window='hann', center=True)
        top_k(x, k, sorted=True)
        view_as_complex(x)
        view_as_real(x)
    """,
    "linalg": """
        cholesky(x, upper=False)
        cholesky_inverse(x, upper=False)
        det(x)
        eig(x)
        eigh(x)
        inv(x)
        jvp(fun, primals, tangents, has_aux=False)
        logdet(x) -- ``log(det(x))`` of Hermitian positive-definite matrices (also ``math.logdet``)
        lstsq(a, b, rcond=None)
        lu_factor(x)
        matrix_rank(x, tol=None)
        norm(x, ord=None, axis=None, keepdims=False)
        pinv(x, rcond=None)
        qr(x, mode='reduced')
        slogdet(x) -- ``(sign, log|det(x)|)`` (also ``numpy.slogdet``)
        solve(a, b)
        solve_triangular(a, b, lower=False)
        svd(x, full_matrices=True, compute_uv=True)
    """,
    "image": """
        affine_transform(images, transform, interpolation='bilinear', fill_mode='constant', fill_value=0, data_format=None)
        compute_homography_matrix(start_points, end_points) -- the ``(batch, 8)`` homography taking ``start_points`` to ``end_points`` (4 corner points each), as ``perspective_transform`` uses it
        crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None, target_height=None, target_width=None, data_format=None)
        elastic_transform(images, alpha=20.0, sigma=5.0, interpolation='bilinear', fill_mode='reflect', fill_value=0.0, seed=None, data_format=None)
        extract_patches(images, size, strides=None, dilation_rate=1, padding='valid', data_format=None)
        extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding='valid', data_format=None)
        gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None)
        hsv_to_rgb(images, data_format=None)
        map_coordinates(inputs, coordinates, order, fill_mode='constant', fill_value=0)
        pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None, target_height=None, target_width=None, data_format=None)
        perspective_transform(images, start_points, end_points, interpolation='bilinear', fill_value=0, data_format=None)
        resize(images, size, interpolation='bilinear', antialias=False, crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode='constant', fill_value=0.0, data_format=None)
        rgb_to_grayscale(images, data_format=None)
        rgb_to_hsv(images, data_format=None)
        scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True)
        sobel_edges(images, data_format=None)
        ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None)
    """,
    "random": """
        SeedGenerator(seed=None, name=None, **kwargs)
        beta(shape, alpha, beta, dtype=None, seed=None)
        binomial(shape, counts, probabilities, dtype=None, seed=None)
        categorical(logits, num_samples, dtype='int32', seed=None)
        dropout(inputs, rate, noise_shape=None, seed=None)
        gamma(shape, alpha, dtype=None, seed=None)
        make_default_seed() -- a fresh seed for a ``SeedGenerator(seed=None)``, drawn from the global seed state
        normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)
        randint(shape, minval, maxval, dtype='int32', seed=None)
        set_global_seed(seed) -- seed the backend's global random state (``cornu.utils.set_random_seed``)
        shuffle(x, axis=0, seed=None)
        truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)
        uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None)
    """,
}

_NAMESPACE_DOCS = {
    "core": ("tensors, dtypes and variables, control flow, and the symbolic tracing the "
             "Functional API and layers' compute_output_spec use", "cornu.ops, cornu.variables, cornu.layer"),
    "numpy": ("the NumPy-like ops (keras.ops.numpy)", "cornu.ops"),
    "nn": ("activations, convolutions, pooling, normalization, losses (keras.ops.nn), "
           "plus nn.dense", "cornu.ops, cornu-layers, cornu-metrics"),
    "math": ("keras.ops's math ops (segment reductions, FFTs, top_k...)", "cornu.ops"),
    "linalg": ("linear algebra (keras.ops.linalg)", "cornu.ops"),
    "image": ("image ops (keras.ops.image)", "cornu.ops, cornu-layers' image preprocessing"),
    "random": ("random tensors and SeedGenerator (keras.random)", "cornu.random, cornu.utils"),
}

_NAMESPACES = [
    Part(name, "namespace", True, doc=doc, used_by=used_by)
    for name, (doc, used_by) in _NAMESPACE_DOCS.items()
] + [
    Part("trainer", "namespace", True, doc="the primitives the core's train/test/predict "
         "steps are written on, and batching", used_by="cornu.engine.trainer"),
    Part("rnn", "namespace", True, doc="the recurrent loop and the fused LSTM/GRU",
         used_by="cornu-layers: RNN, LSTM, GRU, ConvLSTM"),
    Part("distribute", "namespace", False, capability="distribution",
         doc="data-parallel training on the framework's distributed engine",
         used_by="cornu.distribution"),
    Part("bases", "namespace", False, doc="the classes the engine mixes in, so that cornu "
         "objects are the framework's own (a torch.nn.Module, a TensorFlow trackable); "
         "looked up once, when cornu.layer / cornu.variables / cornu.models are imported; it "
         "must import no cornu engine module", used_by="cornu.backend.mixin_base"),
    Part("export", "namespace", False, doc="model.export() for serving formats; without it "
         "export raises ValueError naming the backend", used_by="cornu.export"),
    Part("optimizer_kernels", "namespace", False, doc="fused optimizer update kernels that "
         "cornu-optimizers asks for; without it the optimizers run their generic cornu.ops "
         "update", used_by="cornu-optimizers"),
    Part("jax_interop", "namespace", False, doc="running JAX functions on the backend's "
         "tensors, differentiably; it imports jax only when a function is converted; "
         "without it JaxLayer/FlaxLayer raise ValueError naming the backend",
         used_by="cornu-layers: JaxLayer, FlaxLayer"),
]

_TOP = [
    Part("NAME", "constant", True, "str", "the backend's name, as CORNU_BACKEND and "
         "cornu.config.backend() spell it (the entry-point name)", used_by="cornu.backend"),
    Part("CAPABILITIES", "constant", False, "frozenset[str]", "the capabilities it declares "
         "(names from cornu.backend_spec.CAPABILITIES); absent: none",
         used_by="cornu.backend.supports"),
    Part("RESULT_TYPE_KEEPS_64BIT", "constant", False, "bool", "True: result_type keeps "
         "int64/float64 results and Python int means int64 (as Keras on TensorFlow); "
         "absent/False: they narrow to 32 bits", used_by="cornu.backend.result_type"),
    Part("clear_session", "function", False, "()", "drop the backend's own global state; "
         "called by cornu.backend.clear_session() when the backend is in use",
         used_by="cornu.backend.clear_session"),
]

_MEMBERS = [
    # core: optional, besides the ops above
    Part("core.init_scope", "function", False, "()", "a context manager under which "
         "cornu.Variable runs its initializer and calls make_variable, so that a variable "
         "first created inside a compiled step or a symbolic trace is created eagerly "
         "(TensorFlow: tf.init_scope)", used_by="cornu.variables"),
    Part("core.device_scope", "function", False, "(device_name)", "a context manager "
         "placing the tensors and variables created inside it on ``device_name`` "
         "(``\"cpu\"``, ``\"cpu:0\"``, ``\"gpu:0\"``; ``\"gpu\"`` is the framework's "
         "accelerator) and making ``device_name()`` answer it; an invalid name is a "
         "ValueError; without it ``cornu.device`` accepts only the device the backend "
         "already uses", keras="keras.device", used_by="cornu.device"),
    # trainer
    Part("trainer.value_and_grad", "function", True, "(fn, variables)", "``fn()`` returns "
         "``(target, aux)``; returns ``(aux, gradients of target w.r.t. variables)`` (a "
         "backend without gradients raises a clear error)", used_by="Model.train_step"),
    Part("trainer.make_step", "function", True, "(step, model, training=True)", "``run("
         "batches)``: calls ``step(batch)`` on each batch of a steps_per_execution group and "
         "returns the last result, compiled as the framework compiles (honouring "
         "model.run_eagerly / model.jit_compile), without autograd when not ``training``",
         used_by="cornu.engine.trainer"),
    Part("trainer.make_slicer", "function", True, "(data)", "the batches of in-memory "
         "arrays: an object with ``batch(index)`` (the rows ``index`` of every array of "
         "``data``)", used_by="cornu.engine.data_adapters"),
    Part("trainer.concat_to_numpy", "function", True, "(outputs)", "predict's outputs "
         "(a list of per-batch structures) concatenated to numpy in one device-to-host copy",
         used_by="Model.predict"),
    Part("trainer.start_profiler", "function", False, "(log_dir)", "start the framework's "
         "profiler writing to ``log_dir``; without it TensorBoard(profile_batch=...) raises",
         used_by="cornu-callbacks: TensorBoard"),
    Part("trainer.stop_profiler", "function", False, "()", "stop the profiler",
         used_by="cornu-callbacks: TensorBoard"),
    Part("trainer.step_graph_defs", "function", False, "(step_function)", "the GraphDefs "
         "of a compiled step, for TensorBoard(write_graph=True)",
         used_by="cornu-callbacks: TensorBoard"),
    # random: optional, besides the ops above
    Part("random.get_global_state", "function", False, "()", "the backend's global random "
         "state (behind SeedGenerator(seed=None) and the unseeded ops) as a numpy array, or "
         "None before its first use", used_by="cornu-callbacks: BackupAndRestore"),
    Part("random.set_global_state", "function", False, "(state)", "restore a state "
         "get_global_state returned", used_by="cornu-callbacks: BackupAndRestore"),
    # rnn
    Part("rnn.rnn", "function", True, "(step_function, inputs, initial_states, "
         "go_backwards=False, mask=None, constants=None, unroll=False, input_length=None, "
         "time_major=False, zero_output_for_mask=False, return_all_outputs=True)",
         "``keras.src.backend.rnn``: run ``step_function(inputs_t, states)`` over the time "
         "axis; returns ``(last_output, outputs, new_states)``", used_by="cornu-layers: RNN"),
    Part("rnn.lstm", "function", True, "(inputs, initial_state_h, initial_state_c, mask, "
         "kernel, recurrent_kernel, bias, activation, recurrent_activation, "
         "return_sequences=False, go_backwards=False, unroll=False, zero_output_for_mask="
         "False)", "the whole LSTM layer in one call (cuDNN-style, Keras weight layout); "
         "returns ``(last_output, outputs, (h, c))``", used_by="cornu-layers: LSTM"),
    Part("rnn.gru", "function", True, "(inputs, initial_state, mask, kernel, "
         "recurrent_kernel, bias, activation, recurrent_activation, return_sequences=False, "
         "go_backwards=False, unroll=False, reset_after=True, zero_output_for_mask=False)",
         "the whole GRU layer in one call; returns ``(last_output, outputs, (h,))``",
         used_by="cornu-layers: GRU"),
    # distribute (required with the "distribution" capability)
    Part("distribute.initialize", "function", True, "(job_addresses=None, "
         "num_processes=None, process_id=None)", "join the multi-process job",
         keras="keras.distribution.initialize", used_by="cornu.distribution"),
    Part("distribute.num_processes", "function", True, "()", "the processes in the job",
         used_by="cornu.distribution"),
    Part("distribute.process_id", "function", True, "()", "this process's index (0: the "
         "chief)", used_by="cornu.distribution"),
    Part("distribute.list_devices", "function", True, "(device_type=None)", "the devices "
         "this process can place replicas on (``\"cpu:0\"``, ``\"cuda:1\"``)",
         keras="keras.distribution.list_devices", used_by="cornu.distribution"),
    Part("distribute.DataParallelImpl", "class", True, "(devices=None)", "the engine of "
         "cornu.distribution.DataParallel: ``scope()``, ``shard(data)``, ``num_replicas``, "
         "``num_processes``, ``process_id``, ``all_reduce_sum(x)``, ``make_train_function("
         "model)``, ``make_test_function(model)``", used_by="cornu.distribution"),
    # bases (optional)
    Part("bases.Layer", "class", False, "()", "the first base of cornu.Layer; "
         "``Layer.__new__`` runs its ``__init__()`` before any attribute is set.  It may "
         "define ``_register_tracked(value, name)`` (called once per sublayer or own "
         "variable the layer starts tracking; ``name`` unique) and "
         "``_unregister_tracked(value)``; a base that runs hooks around calls sets the "
         "instance attribute ``_call_hooks_active``, and Layer.__call__ then hands concrete "
         "calls to its ``_call_with_hooks(args, kwargs)``", used_by="cornu.layer"),
    Part("bases.Variable", "class", False, "()", "the first base of cornu.Variable (whose "
         "native handle is ``self._value``)", used_by="cornu.variables"),
    Part("bases.Model", "class", False, "()", "a base of cornu.Model (after Trainer and "
         "Layer)", used_by="cornu.models.model"),
    # export (optional)
    Part("export.FORMATS", "constant", True, "dict[str, function]", "the formats it "
         "writes, ``{name: fn}`` with ``fn(model, filepath, verbose=None, "
         "input_signature=None, **kwargs)``; model.export(format=name) calls it",
         keras="keras.Model.export", used_by="cornu.export"),
    Part("export.ExportArchive", "class", False, "()", "keras.export.ExportArchive "
         "(custom endpoints)", keras="keras.export.ExportArchive", used_by="cornu.export"),
    # optimizer_kernels (optional)
    Part("optimizer_kernels.Math", "class", True, "()", "a mixin (no base) over the "
         "family's generic tensor namespace (cornu.optimizers._math.OpsMath, on cornu.ops): "
         "the namespace is ``type(name, (Math, OpsMath), {})``, built once per backend; it "
         "overrides what differs and declares ``fused`` (True: eager in-place updates and "
         "the ``list_*`` fused list operations)", used_by="cornu-optimizers"),
    Part("optimizer_kernels.KERNELS", "constant", False, "dict[str, function]", "fused "
         "updates ``{registered optimizer name: kernel(optimizer, grads, params, "
         "learning_rate)}``, used with ``fused`` where the optimizer's update_step is that "
         "cornu class's own", used_by="cornu-optimizers"),
    # jax_interop (optional)
    Part("jax_interop.convert", "function", True, "(fn, polymorphic_shapes=None, "
         "native_serialization_platforms=None)", "``fn`` (a JAX function of pytrees of "
         "arrays) as a function of pytrees of the backend's tensors returning the "
         "backend's tensors, eager and inside compiled steps, with gradients flowing back "
         "to the float tensors that go in; ``polymorphic_shapes`` (jax2tf's syntax, one "
         "entry per positional argument) names the dimensions that may vary, "
         "``native_serialization_platforms`` the platforms to compile for; a backend may "
         "ignore both", used_by="cornu-layers: JaxLayer, FlaxLayer"),
]

#: The whole specification: every part of a backend module, namespaces first.
PARTS = tuple(
    _TOP + _NAMESPACES
    + [p for namespace, table in _OPS.items()
       for p in _parse_ops(namespace, table, _NAMESPACE_DOCS[namespace][1])]
    + _MEMBERS
)
_BY_NAME = {p.name: p for p in PARTS}
if len(_BY_NAME) != len(PARTS):  # pragma: no cover - a typo in the tables above
    raise RuntimeError("cornu.backend_spec: a part is listed twice")


def part(name):
    """The :class:`Part` called ``name`` (``"core.convert_to_tensor"``); KeyError if none."""
    return _BY_NAME[name]


def namespace_parts(namespace):
    """The parts inside ``namespace`` (``"core"``; ``""``: the top-level attributes)."""
    return tuple(p for p in PARTS if p.namespace == namespace and p.kind != "namespace") \
        if namespace else tuple(p for p in PARTS if "." not in p.name and p.kind != "namespace")


def op_names(namespace):
    """The names ``cornu.ops.<namespace>`` (or ``cornu.random``) may bind: its functions
    and classes in the spec, required or optional."""
    return frozenset(p.attribute for p in PARTS
                     if p.namespace == namespace and p.kind in ("function", "class"))


# -- checking a backend ----------------------------------------------------------------------
@dataclass
class Report:
    """What :func:`check_backend` found.

    Attributes:
        name: the backend's ``NAME`` (or the module's name).
        capabilities: the declared capabilities (sorted).
        unknown_capabilities: declared names that are not in :data:`CAPABILITIES` (an
            error).
        missing: the required parts it lacks (a missing namespace stands for its members).
        mismatched: ``{part: reason}``: present, but the signature does not accept the
            spec's parameters.
        optional: the optional parts it has.
        extras: public functions of its op namespaces that the spec does not list (they
            would be reachable as ``cornu.ops.X`` on this backend only).
        errors: ``{namespace: error}``: namespaces that failed to import.
        deep: whether the namespaces were imported and their members checked (else only
            the top level and which namespaces exist).
    """

    name: str
    capabilities: tuple = ()
    unknown_capabilities: tuple = ()
    missing: tuple = ()
    mismatched: dict = field(default_factory=dict)
    optional: tuple = ()
    extras: tuple = ()
    errors: dict = field(default_factory=dict)
    deep: bool = True

    @property
    def ok(self):
        """No required part missing, no signature mismatch, no unknown capability and
        no namespace that fails to import."""
        return not (self.missing or self.mismatched or self.unknown_capabilities
                    or self.errors)

    def as_dict(self):
        return {"name": self.name, "ok": self.ok, "deep": self.deep,
                "capabilities": list(self.capabilities),
                "unknown_capabilities": list(self.unknown_capabilities),
                "missing": list(self.missing), "mismatched": dict(self.mismatched),
                "optional": list(self.optional), "extras": list(self.extras),
                "errors": dict(self.errors)}

    def lines(self):
        """The report as text lines (``cornu plugins --check`` prints them)."""
        out = [f"capabilities: {', '.join(self.capabilities) or 'none'}"]
        if self.unknown_capabilities:
            out.append(f"unknown capabilities (error): {', '.join(self.unknown_capabilities)}")
        out.append(f"optional parts: {', '.join(self.optional) or 'none'}")
        if self.deep:
            out.append(f"missing required parts ({len(self.missing)}): "
                       f"{', '.join(self.missing) or 'none'}")
            for name, reason in self.mismatched.items():
                out.append(f"signature mismatch: {name}: {reason}")
            if self.extras:
                out.append(f"not in the spec: {', '.join(self.extras)}")
        elif self.missing:
            out.append(f"missing required namespaces: {', '.join(self.missing)}")
        for namespace, error in self.errors.items():
            out.append(f"namespace {namespace} failed to import: {error}")
        return out


_ABSENT = object()


def _namespace(module, name, deep):
    """The namespace ``name`` of backend ``module``: the module (deep), ``True`` (it
    exists; not imported), or ``_ABSENT``.  Raises what importing it raises."""
    value = vars(module).get(name, _ABSENT)
    if value is not _ABSENT:
        return value
    if hasattr(module, "__path__"):  # a package: namespaces are submodules, found unimported
        full = f"{module.__name__}.{name}"
        try:
            found = importlib.util.find_spec(full) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            return importlib.import_module(full) if deep else True
        if not deep:
            return _ABSENT
    return getattr(module, name, _ABSENT)  # a module-level __getattr__, a plain attribute


def _params(signature):
    """``[(name, kind, has_default)]`` of a signature text, or None if unparsable."""
    try:
        tree = ast.parse(f"def _f{signature}: pass")
    except SyntaxError:
        return None
    args = tree.body[0].args
    out = []
    positional = args.posonlyargs + args.args
    defaults = [False] * (len(positional) - len(args.defaults)) + [True] * len(args.defaults)
    for i, (arg, has_default) in enumerate(zip(positional, defaults)):
        kind = "positional_only" if i < len(args.posonlyargs) else "positional_or_keyword"
        out.append((arg.arg, kind, has_default))
    if args.vararg:
        out.append((args.vararg.arg, "var_positional", False))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        out.append((arg.arg, "keyword_only", default is not None))
    if args.kwarg:
        out.append((args.kwarg.arg, "var_keyword", False))
    return out


def signature_problem(signature, obj):
    """Why ``obj`` (a function or class) does not accept ``signature``'s parameters,
    or None.  It may take more parameters, with defaults; names and the order of the
    positional ones must match."""
    wanted = _params(signature)
    try:
        have = inspect.signature(obj)
    except (TypeError, ValueError):
        return None  # a builtin without a signature: nothing to compare
    if wanted is None:
        return None
    params = list(have.parameters.values())
    P = inspect.Parameter
    var_pos = any(p.kind is P.VAR_POSITIONAL for p in params)
    var_kw = any(p.kind is P.VAR_KEYWORD for p in params)
    positional = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name: p for p in params}
    spec_names = set()
    index = 0
    for name, kind, has_default in wanted:
        spec_names.add(name)
        if kind == "var_positional":
            if not var_pos:
                return f"takes no *{name}"
            continue
        if kind == "var_keyword":
            if not var_kw:
                return f"takes no **{name}"
            continue
        if kind in ("positional_only", "positional_or_keyword"):
            if index < len(positional):
                got = positional[index]
                if kind == "positional_or_keyword" and got.name != name:
                    return f"parameter {index + 1} is {got.name!r}, the spec's is {name!r}"
                index += 1
                param = got
            elif var_pos and var_kw:
                continue
            else:
                return f"takes no parameter {name!r}"
        else:  # keyword-only
            param = by_name.get(name)
            if param is None or param.kind in (P.POSITIONAL_ONLY, P.VAR_POSITIONAL):
                if var_kw:
                    continue
                return f"takes no keyword {name!r}"
        if has_default and param.default is P.empty:
            return f"{name!r} has no default (the spec's has one)"
    for p in params:
        if (p.name not in spec_names and p.default is P.empty
                and p.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)):
            return f"needs {p.name!r}, which the spec does not pass"
    return None


def _kind_problem(part_, value):
    if part_.kind == "class" and not inspect.isclass(value):
        return f"is {type(value).__name__}, the spec's is a class"
    if part_.kind == "function" and (inspect.isclass(value) or not callable(value)):
        return f"is {type(value).__name__}, the spec's is a function"
    return None


def _own_functions(namespace_module):
    """The public functions and classes a namespace module defines itself, or binds
    from the generic ops of ``cornu.ops.toolkit``: what ``cornu.ops`` reaches there
    (the toolkit's helpers, such as ``check_scan_args``, are not ops)."""
    from cornu.ops import toolkit  # plain Python: no framework, no backend

    names = []
    module_name = getattr(namespace_module, "__name__", None)
    for attr, value in vars(namespace_module).items():
        if attr.startswith("_") or not (inspect.isfunction(value) or inspect.isclass(value)):
            continue
        if getattr(value, "__module__", None) == module_name or (
                attr in toolkit.GENERIC_OPS and value is getattr(toolkit, attr)):
            names.append(attr)
    return names


def check_backend(module, deep=True):
    """Compare backend ``module`` with the spec.

    Args:
        module: the backend module (``cornu.backends.torch``), as its entry point loads it.
        deep: import every namespace it has and check their members and signatures (this
            imports the framework); ``False`` checks the top-level attributes and which
            namespaces exist (a package's submodules are found without importing them).

    Returns:
        a :class:`Report`; ``report.ok`` says whether the backend meets the spec.
    """
    declared = getattr(module, "CAPABILITIES", ())
    if isinstance(declared, str):
        declared = (declared,)
    declared = tuple(sorted(set(declared)))
    report = Report(
        name=str(getattr(module, "NAME", getattr(module, "__name__", module))),
        capabilities=tuple(c for c in declared if c in CAPABILITIES),
        unknown_capabilities=tuple(c for c in declared if c not in CAPABILITIES),
        deep=deep)
    missing, optional, extras = [], [], []
    for p in namespace_parts(""):
        value = getattr(module, p.attribute, _ABSENT)
        if value is _ABSENT:
            if p.required_for(declared):
                missing.append(p.name)
        else:
            if not p.required_for(declared):
                optional.append(p.name)
            if p.kind == "function":
                problem = _kind_problem(p, value) or signature_problem(p.signature, value)
                if problem:
                    report.mismatched[p.name] = problem
    if not isinstance(getattr(module, "NAME", None), str) and "NAME" not in missing:
        report.mismatched["NAME"] = "is not a str"
    for ns in (p for p in PARTS if p.kind == "namespace"):
        try:
            value = _namespace(module, ns.name, deep)
        except Exception as err:  # a namespace that fails to import is reported, not raised
            report.errors[ns.name] = f"{type(err).__name__}: {err}"
            continue
        if value is _ABSENT:
            if ns.required_for(declared):
                missing.append(ns.name)
            continue
        if not ns.required_for(declared):
            optional.append(ns.name)
        if not deep or value is True:
            continue
        members = namespace_parts(ns.name)
        for p in members:
            member = getattr(value, p.attribute, _ABSENT)
            if member is _ABSENT:
                if p.required_for(declared):
                    missing.append(p.name)
                continue
            if not p.required_for(declared):
                optional.append(p.name)
            if p.kind in ("function", "class"):
                problem = _kind_problem(p, member) or signature_problem(p.signature, member)
                if problem:
                    report.mismatched[p.name] = problem
        if ns.name in OPS_NAMESPACES or ns.name == "random":
            listed = {p.attribute for p in members}
            extras += [f"{ns.name}.{a}" for a in _own_functions(value) if a not in listed]
    report.missing = tuple(missing)
    report.optional = tuple(optional)
    report.extras = tuple(sorted(extras))
    return report


# -- the documentation page -----------------------------------------------------------------
def _cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown():
    """``docs/backend-spec.md``: the spec as tables (a test keeps the page equal to it)."""
    out = [
        "# The backend specification",
        "",
        "<!-- Generated from cornu.backend_spec: python -m cornu.backend_spec --markdown "
        "> docs/backend-spec.md -->",
        "",
        "Everything a cornu backend module provides, as `cornu.backend_spec.PARTS` lists it "
        "(the [plugins contract](plugins.md#backends) says how a backend is registered). "
        "`cornu.backend_spec.check_backend(module)` compares a module with it, and "
        "`cornu plugins --check` runs that for every installed backend. Shared argument "
        "checks and generic op implementations for backend authors are in "
        "`cornu.ops.toolkit`.",
        "",
        "A **required** part must be there (a member of an optional namespace: whenever the "
        "namespace is there); a part with a **capability** is required when the backend "
        "declares that capability; an **optional** part has a generic fallback. An op "
        "without a description of its own is the Keras 3 op of that name, with its "
        "signature and behaviour; a backend function may take more parameters (with "
        "defaults), never fewer.",
        "",
        "## Capabilities",
        "",
        "A backend declares them in its module's `CAPABILITIES`; families ask "
        "`cornu.backend.supports(name)`.",
        "",
        "| capability | what declaring it promises |",
        "|---|---|",
    ]
    out += [f"| `{name}` | {_cell(doc)} |" for name, doc in CAPABILITIES.items()]

    def table(parts):
        rows = ["| part | kind | required | signature | description |", "|---|---|---|---|---|"]
        for p in parts:
            required = ("yes" if p.required else
                        f"with `{p.capability}`" if p.capability else "optional")
            signature = f"`{p.signature}`" if p.signature else ""
            rows.append(f"| `{p.name}` | {p.kind} | {required} | {_cell(signature)} | "
                        f"{_cell(p.description())} |")
        return rows

    out += ["", "## Top-level attributes", ""] + table(namespace_parts(""))
    out += ["", "## Namespaces", ""] + table([p for p in PARTS if p.kind == "namespace"])
    for ns in (p for p in PARTS if p.kind == "namespace"):
        members = namespace_parts(ns.name)
        out += ["", f"## `{ns.name}`", "", _cell(ns.doc) + (f" (used by {ns.used_by})."
                                                              if ns.used_by else "."), ""]
        out += table(members) if members else [
            "Its members are defined by the family that uses it (see its documentation)."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # python -m cornu.backend_spec --markdown > docs/backend-spec.md
    import sys

    if sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(render_markdown())
    else:
        sys.exit("usage: python -m cornu.backend_spec --markdown")
