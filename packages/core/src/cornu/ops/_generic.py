"""Ops written once on top of ``cornu.ops`` (no framework code of their own).

The backends bind these into their namespaces (``backend.core.rearrange`` ...),
so they reach ``cornu.ops`` like any other backend function.
"""
import functools
import re

import numpy as np


def _ops():
    from cornu import ops

    return ops


def check_scan_args(f, xs, length, unroll):
    if not callable(f):
        raise TypeError(f"scan: `f` must be a callable, received f={f!r}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(
            f"scan: `unroll` must be a positive integer or a boolean, received unroll={unroll!r}"
        )
    if xs is None and length is None:
        raise ValueError("scan: there is no `xs` to scan over and no `length` was given")


def call_grad_fn(grad_fn, inputs, upstream):
    """Call a ``custom_gradient`` gradient function in either of Keras's two spellings:
    ``grad(*upstream)``, or ``grad(*inputs, upstream=...)`` when the function names an
    ``upstream`` parameter."""
    import inspect

    try:
        named = "upstream" in inspect.signature(grad_fn).parameters
    except (TypeError, ValueError):
        named = False
    if named:
        return grad_fn(*inputs, upstream=upstream[0] if len(upstream) == 1 else upstream)
    return grad_fn(*upstream)


# -- associative_scan -------------------------------------------------------------------
def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive prefix scan of ``elems`` along ``axis`` with the associative ``f``.

    ``f(a, b)`` combines two structures like ``elems`` (elementwise over the scan
    axis).  Parallel form (log depth): combine adjacent pairs, scan the half-length
    result, then fill in the even positions.  The scan axis must have a static size.
    """
    from cornu import tree

    ops = _ops()
    if not callable(f):
        raise TypeError(f"associative_scan: `f` must be a callable, received f={f!r}")
    flat = [ops.convert_to_tensor(e) for e in tree.flatten(elems)]
    ndim = len(flat[0].shape)
    axis = axis % ndim if ndim else 0
    sizes = {e.shape[axis] for e in flat}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            "associative_scan: every input needs the same static size along axis "
            f"{axis}, received shapes {[tuple(e.shape) for e in flat]}"
        )
    if reverse:
        flat = [ops.flip(e, axis=axis) for e in flat]

    def part(e, start, stop=None, step=None):
        key = [slice(None)] * ndim
        key[axis] = slice(start, stop, step)
        return e[tuple(key)]

    def combine(a, b):
        out = f(tree.pack_sequence_as(elems, a), tree.pack_sequence_as(elems, b))
        return [ops.convert_to_tensor(c) for c in tree.flatten(out)]

    def interleave(a, b):
        # a holds positions 0, 2, 4, ...; b positions 1, 3, ... (len(a) - len(b) in {0, 1}).
        m = b.shape[axis]
        pairs = ops.stack([part(a, 0, m), b], axis=axis + 1)
        shape = [-1 if d is None else d for d in pairs.shape]
        merged = ops.reshape(pairs, shape[:axis] + [2 * m] + shape[axis + 2:])
        if a.shape[axis] > m:
            merged = ops.concatenate([merged, part(a, m)], axis=axis)
        return merged

    def scan(level):
        n = level[0].shape[axis]
        if n < 2:
            return level
        odd = scan(combine([part(e, 0, -1, 2) for e in level], [part(e, 1, None, 2) for e in level]))
        if n % 2 == 0:
            even = combine([part(e, 0, -1) for e in odd], [part(e, 2, None, 2) for e in level])
        else:
            even = combine(odd, [part(e, 2, None, 2) for e in level])
        even = [ops.concatenate([part(e, 0, 1), r], axis=axis) for e, r in zip(level, even)]
        return [interleave(ev, od) for ev, od in zip(even, odd)]

    out = scan(flat)
    if reverse:
        out = [ops.flip(e, axis=axis) for e in out]
    return tree.pack_sequence_as(elems, out)


# -- rearrange (einops) ----------------------------------------------------------------
_TOKEN = re.compile(r"\(([^)]*)\)|(\S+)")


def _parse_side(side, where):
    groups = []
    for match in _TOKEN.finditer(side):
        names = match.group(1).split() if match.group(1) is not None else [match.group(2)]
        for name in names:
            if not name.isidentifier():
                raise ValueError(f"rearrange: invalid axis name {name!r} in {where!r}")
        groups.append(names)
    return groups


def rearrange(tensor, pattern, **axes_lengths):
    """Rearrange axes einops-style: ``"b h w c -> b (h w) c"``, ``"b (h p) w -> b h p w"``.

    Parenthesized groups on the left split an axis (all but one inner size given
    in ``axes_lengths``), on the right merge axes; names may be reordered freely.
    """
    ops = _ops()
    if "->" not in pattern:
        raise ValueError(f"rearrange: the pattern needs '->', received {pattern!r}")
    left, right = (s.strip() for s in pattern.split("->"))
    in_groups = _parse_side(left, pattern)
    out_groups = _parse_side(right, pattern)
    tensor = ops.convert_to_tensor(tensor)
    shape = list(ops.shape(tensor))
    if len(in_groups) != len(shape):
        raise ValueError(
            f"rearrange: the pattern {left!r} has {len(in_groups)} axes, the tensor has "
            f"{len(shape)} (shape {tuple(shape)})"
        )
    in_names = [n for g in in_groups for n in g]
    out_names = [n for g in out_groups for n in g]
    if sorted(in_names) != sorted(out_names) or len(set(in_names)) != len(in_names):
        raise ValueError(
            f"rearrange: both sides of {pattern!r} must name the same axes once each"
        )
    sizes = {}
    for group, dim in zip(in_groups, shape):
        if len(group) == 1:
            sizes[group[0]] = axes_lengths.get(group[0], dim)
            continue
        unknown = [n for n in group if n not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(
                f"rearrange: axes {unknown} of group {group} need sizes in axes_lengths"
            )
        known = int(np.prod([axes_lengths[n] for n in group if n in axes_lengths]))
        for n in group:
            sizes[n] = axes_lengths[n] if n in axes_lengths else dim // known
    if any(len(g) > 1 for g in in_groups):
        tensor = ops.reshape(tensor, [sizes[n] for n in in_names])
    order = [in_names.index(n) for n in out_names]
    if order != list(range(len(order))):
        tensor = ops.transpose(tensor, order)
    if any(len(g) != 1 for g in out_groups):
        out_shape = []
        for group in out_groups:
            size = 1
            for n in group:
                size = size * sizes[n]
            out_shape.append(size)
        tensor = ops.reshape(tensor, out_shape)
    return tensor


# -- casts and splits ----------------------------------------------------------------
_BFLOAT16_MAX = 3.3895313892515355e38


def _limits(dtype):
    if dtype == "bool":
        return 0, 1
    if dtype == "bfloat16":
        return -_BFLOAT16_MAX, _BFLOAT16_MAX
    info = np.iinfo(dtype) if "int" in dtype else np.finfo(dtype)
    return info.min, info.max


def saturate_cast(x, dtype):
    """Cast ``x`` to ``dtype``, clipping to the target's range first (no wrap-around)."""
    ops = _ops()
    x = ops.convert_to_tensor(x)
    dtype = ops.standardize_dtype(dtype)
    in_dtype = ops.standardize_dtype(x.dtype)
    if in_dtype == "bfloat16":
        x, in_dtype = ops.cast(x, "float32"), "float32"
    if in_dtype == "bool":
        return ops.cast(x, dtype)
    in_min, in_max = _limits(in_dtype)
    out_min, out_max = _limits(dtype)
    # The limits must be representable in the input dtype (float32 has no
    # 2**31 - 1): step them towards zero until they are inside the target range.
    # (Compared as Python numbers: exact, unlike numpy's float32-vs-int comparison.)
    lo = np.asarray(max(in_min, out_min)).astype(in_dtype)
    if lo.item() < out_min:
        lo = np.nextafter(lo, np.asarray(0, in_dtype))
    hi = np.asarray(min(in_max, out_max)).astype(in_dtype)
    if hi.item() > out_max:
        hi = np.nextafter(hi, np.asarray(0, in_dtype))
    x = ops.clip(x, ops.convert_to_tensor(lo, dtype=in_dtype),
                 ops.convert_to_tensor(hi, dtype=in_dtype))
    return ops.cast(x, dtype)


# -- vectorize (numpy.vectorize) -------------------------------------------------------
_SIG_ARG = re.compile(r"\(([^()]*)\)")


def _parse_signature(signature):
    if "->" not in signature:
        raise ValueError(f"vectorize: invalid signature {signature!r} (no '->')")
    ins, outs = signature.replace(" ", "").split("->")

    def dims(side):
        return [[d for d in group.split(",") if d] for group in _SIG_ARG.findall(side)]

    return dims(ins), dims(outs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``numpy.vectorize`` for tensors: ``pyfunc`` is written for one element (or for
    the core dimensions of ``signature``, e.g. ``"(n),(n)->()"``) and is mapped over
    the broadcast loop dimensions with ``vectorized_map``."""
    excluded = set(excluded or ())
    core_in, core_out = _parse_signature(signature) if signature else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        ops = _ops()
        positions = [i for i in range(len(args)) if i not in excluded]
        names = [k for k in kwargs if k not in excluded]
        tensors = [ops.convert_to_tensor(args[i]) for i in positions] + [
            ops.convert_to_tensor(kwargs[k]) for k in names]
        if core_in is not None and len(core_in) != len(tensors):
            raise ValueError(
                f"vectorize: the signature {signature!r} has {len(core_in)} inputs, "
                f"received {len(tensors)}"
            )
        cores = core_in or [[] for _ in tensors]
        loops = [tuple(t.shape[:len(t.shape) - len(c)]) for t, c in zip(tensors, cores)]
        loop_shape = tuple(np.broadcast_shapes(*loops)) if loops else ()
        count = int(np.prod(loop_shape)) if loop_shape else 1
        flat = []
        for t, c in zip(tensors, cores):
            core_shape = tuple(t.shape[len(t.shape) - len(c):]) if c else ()
            t = ops.broadcast_to(t, loop_shape + core_shape)
            flat.append(ops.reshape(t, (count,) + core_shape))

        def one(elements):
            a = list(args)
            k = dict(kwargs)
            for i, e in zip(positions, elements):
                a[i] = e
            for name, e in zip(names, elements[len(positions):]):
                k[name] = e
            return pyfunc(*a, **k)

        out = ops.vectorized_map(one, tuple(flat))

        def unflatten(o):
            return ops.reshape(o, loop_shape + tuple(o.shape[1:]))

        if isinstance(out, (tuple, list)):
            return type(out)(unflatten(o) for o in out)
        return unflatten(out)

    return wrapped


# -- short-time Fourier transforms -----------------------------------------------------
def _stft_window(window, sequence_length, fft_length, dtype):
    """The analysis window, zero-padded (centered) to ``fft_length``, as numpy."""
    if window is None:
        win = np.ones(sequence_length)
    elif isinstance(window, str):
        n = np.arange(sequence_length)
        if window == "hann":
            win = 0.5 - 0.5 * np.cos(2 * np.pi * n / sequence_length)
        elif window == "hamming":
            win = 0.54 - 0.46 * np.cos(2 * np.pi * n / sequence_length)
        else:
            raise ValueError(
                f"stft: a string window must be 'hann' or 'hamming', received {window!r}"
            )
    else:
        win = np.asarray(_ops().convert_to_numpy(window), dtype="float64")
        if win.shape != (sequence_length,):
            raise ValueError(
                f"stft: the window must have shape ({sequence_length},) (sequence_length), "
                f"received {win.shape}"
            )
    left = (fft_length - sequence_length) // 2
    return np.pad(win, (left, fft_length - sequence_length - left)).astype(dtype)


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of the last axis: ``(real, imag)``, each of shape
    ``(..., frames, fft_length // 2 + 1)``.  ``center`` reflect-pads ``fft_length // 2``
    samples on both sides; the window (periodic) is centered in each frame."""
    ops = _ops()
    x = ops.convert_to_tensor(x)
    dtype = ops.standardize_dtype(x.dtype)
    if dtype not in ("float32", "float64"):
        raise TypeError(f"stft: the input must be float32 or float64, received {dtype}")
    if fft_length < sequence_length:
        raise ValueError(
            f"stft: fft_length ({fft_length}) must be >= sequence_length ({sequence_length})"
        )
    if center:
        pad = fft_length // 2
        x = ops.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[pad, pad]], mode="reflect")
    frames = ops.extract_sequences(x, fft_length, sequence_stride)
    win = ops.convert_to_tensor(_stft_window(window, sequence_length, fft_length, dtype))
    return ops.rfft(frames * win, fft_length=fft_length)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse of :func:`stft`: overlap-add of the inverse FFTs of the frames, divided
    by the summed squared window (``tf.signal.inverse_stft_window_fn``); the number of
    frames must be static."""
    ops = _ops()
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError("istft: `x` must be a (real, imag) pair of tensors")
    frames = ops.irfft((x[0], x[1]), fft_length=fft_length)  # (..., n, fft_length)
    dtype = ops.standardize_dtype(frames.dtype)
    n = frames.shape[-2]
    if window is not None:
        win = _stft_window(window, sequence_length, fft_length, "float64")
        overlaps = -(-fft_length // sequence_stride)
        denom = np.pad(win ** 2, (0, overlaps * sequence_stride - fft_length))
        denom = np.tile(denom.reshape(overlaps, sequence_stride).sum(0), overlaps)[:fft_length]
        frames = frames * ops.convert_to_tensor((win / denom).astype(dtype))
    out_len = fft_length + sequence_stride * (n - 1)
    # Overlap-add: every frame sample goes to position frame * stride + offset.
    ids = (np.arange(n)[:, None] * sequence_stride + np.arange(fft_length)[None, :]).reshape(-1)
    batch = tuple(frames.shape[:-2])
    flat = ops.reshape(frames, (-1, n * fft_length))
    summed = ops.segment_sum(ops.transpose(flat), ops.convert_to_tensor(ids.astype("int32")),
                             num_segments=out_len)
    out = ops.reshape(ops.transpose(summed), batch + (out_len,))
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = out_len - fft_length // 2
    else:
        end = out_len
    return out[..., start:end]


# -- fold / unfold (sliding patches, NCHW) ------------------------------------------------
def _pair(value, name):
    if isinstance(value, int):
        return value, value
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, received {value!r}")
    return value


def patch_index(size, kernel_size, dilation, padding, stride):
    """Flat (padded) positions of every patch element: ``(kh * kw, L)``, and the padded size."""
    (h, w), (kh, kw) = _pair(size, "size"), _pair(kernel_size, "kernel_size")
    (dh, dw), (ph, pw), (sh, sw) = (_pair(dilation, "dilation"), _pair(padding, "padding"),
                                    _pair(stride, "stride"))
    hp, wp = h + 2 * ph, w + 2 * pw
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ValueError(
            f"The kernel {(kh, kw)} (dilation {(dh, dw)}) does not fit the padded size "
            f"{(hp, wp)}"
        )
    rows = (np.arange(kh)[:, None, None, None] * dh + np.arange(oh)[None, None, :, None] * sh)
    cols = (np.arange(kw)[None, :, None, None] * dw + np.arange(ow)[None, None, None, :] * sw)
    index = (rows * wp + cols).reshape(kh * kw, oh * ow)
    return index, (hp, wp), (ph, pw)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding patches of an ``(N, C, H, W)`` tensor: ``(N, C * kh * kw, L)`` (torch's
    ``nn.functional.unfold``)."""
    ops = _ops()
    x = ops.convert_to_tensor(x)
    n, c, h, w = x.shape
    index, (hp, wp), (ph, pw) = patch_index((h, w), kernel_size, dilation, padding, stride)
    if ph or pw:
        x = ops.pad(x, [[0, 0], [0, 0], [ph, ph], [pw, pw]])
    flat = ops.reshape(x, (-1, c, hp * wp))
    patches = ops.take(flat, ops.convert_to_tensor(index.reshape(-1).astype("int32")), axis=2)
    return ops.reshape(patches, (-1, c * index.shape[0], index.shape[1]))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding patches ``(N, C * kh * kw, L)`` back into ``(N, C, H, W)`` (torch's
    ``nn.functional.fold``; overlapping elements add up)."""
    ops = _ops()
    x = ops.convert_to_tensor(x)
    h, w = _pair(output_size, "output_size")
    index, (hp, wp), (ph, pw) = patch_index((h, w), kernel_size, dilation, padding, stride)
    k, blocks = index.shape
    c = x.shape[1] // k
    data = ops.transpose(ops.reshape(x, (-1, c, k * blocks)), (2, 0, 1))
    summed = ops.segment_sum(data, ops.convert_to_tensor(index.reshape(-1).astype("int32")),
                             num_segments=hp * wp)
    out = ops.reshape(ops.transpose(summed, (1, 2, 0)), (-1, c, hp, wp))
    return out[:, :, ph:ph + h, pw:pw + w]


# -- CTC decoding ----------------------------------------------------------------------------
def ctc_greedy_decode(inputs, sequence_lengths, merge_repeated=True, mask_index=0):
    """Best path decoding: ``(decoded (1, batch, max_length), scores (batch, 1))``.

    Blank (``mask_index``) and merged repeats become -1 and move to the end of each
    row; the score is minus the sum of the chosen (per-step maximal) inputs.
    """
    ops = _ops()
    inputs = ops.convert_to_tensor(inputs)
    lengths = ops.cast(ops.convert_to_tensor(sequence_lengths), "int32")
    max_length = inputs.shape[1]
    if mask_index is None:
        mask_index = inputs.shape[-1] - 1
    indices = ops.cast(ops.argmax(inputs, axis=-1), "int32")
    scores = ops.max(inputs, axis=-1)
    beyond = ops.arange(max_length, dtype="int32")[None, :] >= lengths[:, None]
    indices = ops.where(beyond, mask_index, indices)
    scores = ops.where(beyond, ops.zeros_like(scores), scores)
    if merge_repeated:
        repeat = ops.concatenate(
            [ops.zeros_like(indices[:, :1]) > 0, indices[:, 1:] == indices[:, :-1]], axis=1)
        indices = ops.where(repeat, mask_index, indices)
    blank = indices == mask_index
    indices = ops.where(blank, -1, indices)
    order = ops.where(blank, max_length, ops.arange(max_length, dtype="int32")[None, :])
    order = ops.argsort(order, axis=-1)
    indices = ops.take_along_axis(indices, order, axis=-1)
    return ops.expand_dims(indices, 0), -ops.sum(scores, axis=1)[:, None]


def ctc_beam_search_numpy(log_probs, lengths, beam_width, top_paths, blank):
    """CTC prefix beam search on host arrays (``log_probs``: ``(batch, T, classes)``,
    normalized).  Returns ``(paths (top_paths, batch, T) padded with -1, scores (batch,
    top_paths))``: the ``top_paths`` most probable labelings and their log probabilities
    (summed over the alignments kept in the beam)."""
    batch, steps, classes = log_probs.shape
    paths = np.full((top_paths, batch, steps), -1, dtype="int32")
    scores = np.full((batch, top_paths), -np.inf, dtype=log_probs.dtype)
    for b in range(batch):
        beams = {(): (0.0, -np.inf)}  # prefix -> (log p ending in blank, ending in a label)
        for t in range(int(lengths[b])):
            row = log_probs[b, t]
            nxt = {}

            def add(prefix, pb, pnb, nxt=nxt):
                old_b, old_nb = nxt.get(prefix, (-np.inf, -np.inf))
                nxt[prefix] = (np.logaddexp(old_b, pb), np.logaddexp(old_nb, pnb))

            for prefix, (pb, pnb) in beams.items():
                total = np.logaddexp(pb, pnb)
                add(prefix, total + row[blank], -np.inf)
                for c in range(classes):
                    if c == blank:
                        continue
                    if prefix and prefix[-1] == c:
                        add(prefix, -np.inf, pnb + row[c])  # repeat without a blank: same
                        add(prefix + (c,), -np.inf, pb + row[c])
                    else:
                        add(prefix + (c,), -np.inf, total + row[c])
            ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(*kv[1]))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
        for k, (prefix, (pb, pnb)) in enumerate(ranked):
            paths[k, b, :len(prefix)] = prefix
            scores[b, k] = np.logaddexp(pb, pnb)
    return paths, scores


def check_ctc_strategy(strategy):
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(
            f"ctc_decode: strategy must be 'greedy' or 'beam_search', received {strategy!r}"
        )


#: The ``pad`` modes that :func:`pad_by_statistic` implements (numpy's, on any backend).
STATISTIC_PAD_MODES = ("maximum", "minimum", "mean", "median", "linear_ramp", "empty")


def pad_by_statistic(x, widths, mode):
    """``numpy.pad(x, widths, mode)`` for the modes of :data:`STATISTIC_PAD_MODES`,
    written on ``cornu.ops``: axis after axis (as numpy), each side filled with the
    axis's maximum / minimum / mean / median, with a linear ramp from the edge value to
    0, or (``"empty"``, whose values numpy leaves undefined) with zeros.  Integer
    inputs get the statistic rounded to the nearest integer and the ramp rounded down,
    as numpy does.
    ``widths`` is one ``(before, after)`` pair of ints per axis."""
    ops = _ops()
    dtype = ops.dtype(x)
    integral = "int" in dtype or dtype == "bool"
    work = "float64" if dtype in ("float64", "int64", "uint32", "uint64") else "float32"
    reduce = {"maximum": ops.max, "minimum": ops.min, "mean": ops.mean,
              "median": ops.median}.get(mode)

    def finish(values, rounding=ops.round):
        if integral:
            values = rounding(values)
        return ops.cast(values, dtype)

    for axis, (before, after) in enumerate(widths):
        if not (before or after):
            continue
        shape = list(ops.shape(x))
        if mode == "empty":
            sides = [ops.zeros(shape[:axis] + [n] + shape[axis + 1:], dtype)
                     for n in (before, after)]
        elif reduce is not None:
            stat = finish(reduce(ops.cast(x, work), axis=axis, keepdims=True))
            sides = [ops.repeat(stat, n, axis=axis) for n in (before, after)]
        elif mode == "linear_ramp":
            sides = []
            for n, edge_index, reverse in ((before, 0, False), (after, -1, True)):
                edge = ops.cast(ops.take(x, [shape[axis] - 1 if edge_index else 0],
                                         axis=axis), work)
                # numpy: linspace(end=0, edge, n, endpoint=False), reversed after
                steps = ops.cast(ops.arange(n), work) / max(n, 1)
                if reverse:
                    steps = ops.flip(steps, axis=0)
                steps = ops.reshape(steps, [1] * axis + [n] + [1] * (len(shape) - axis - 1))
                sides.append(finish(edge * steps, ops.floor))  # numpy's integer linspace
        else:
            raise ValueError(f"pad_by_statistic: mode must be one of "
                             f"{STATISTIC_PAD_MODES}, received {mode!r}")
        x = ops.concatenate([sides[0], x, sides[1]], axis=axis)
    return x
