"""``cornu.ops.toolkit``: what cornu-core gives backend authors.

A backend (see ``cornu.backend_spec`` and ``docs/backend-spec.md``) implements the
``cornu.ops`` surface with its framework's tensors.  Two kinds of code are the same in
every backend, and live here once so that all backends, ours and third parties', behave
alike:

* **Argument checks** that raise Keras 3's exceptions with Keras's messages (a bad
  ``padding``, a rank-2 input to ``conv``, an unknown interpolation...), and the plain
  size arithmetic around them (output sizes, paddings, crop boxes).  They are plain
  Python (no framework, no tensors): a backend passes static shapes in, as tuples with
  ``None`` for an unknown size (``None`` for an unknown rank), and does the tensor work
  itself.
* **Generic op implementations**, written on other ``cornu.ops`` ops (never on a
  framework), that a backend binds as its own: ``from cornu.ops.toolkit import
  rearrange`` in its ``core`` module makes ``cornu.ops.rearrange`` work on that backend
  (:data:`GENERIC_OPS` says which namespace each belongs in).  They call back into
  ``cornu.ops``, so they run on whichever backend is bound, and they are as fast as the
  ops they are written on; a backend with a native kernel defines its own instead.

Import it as ``from cornu.ops import toolkit`` or ``from cornu.ops.toolkit import ...``;
importing it imports no framework and binds no backend.  Everything below is public:
a backend outside cornu may rely on it as cornu's own backends do.

Generic ops (bind them into the namespace :data:`GENERIC_OPS` names):

* :func:`associative_scan`, :func:`rearrange`, :func:`saturate_cast` (``core``)
* :func:`vectorize` (``numpy``)
* :func:`fold`, :func:`unfold` (``nn``, torch's ``nn.functional.fold``/``unfold``)
* :func:`stft`, :func:`istft` (``math``)

Helpers for writing ops:

* :func:`call_grad_fn`: call a ``custom_gradient`` gradient function in either of the
  two spellings Keras accepts (``grad(*upstream)`` or ``grad(*inputs, upstream=...)``).
* :func:`check_scan_args`: ``scan``'s argument checks.
* :func:`check_ctc_strategy`, :func:`ctc_greedy_decode` (best-path decoding written on
  ``cornu.ops``), :func:`ctc_beam_search_numpy` (prefix beam search on numpy arrays):
  the pieces of ``nn.ctc_decode``.
* :func:`patch_index`: the flat positions of every patch element (``fold``/``unfold``).
* :func:`pad_by_statistic`: ``pad``'s numpy modes that frameworks lack (``maximum``,
  ``minimum``, ``mean``, ``median``, ``linear_ramp``, ``empty``:
  :data:`STATISTIC_PAD_MODES`).
* :func:`standardize_tuple` (an int or ``n`` ints as a tuple of ``n`` ints, with Keras's
  error), :func:`canonical_axis` (an axis argument as a tuple of non-negative ints),
  :func:`shape_text` (a static shape as error messages show it).

Argument checks of one op family, each a namespace (``from cornu.ops.toolkit import
nn_args``; every function has its own docstring):

* :data:`nn_args`: ``cornu.ops.nn``: ``check_padding``, ``spatial_rank``, ``conv_args`` and
  ``pool_args`` (strides, padding, data format and dilation of a convolution or pooling,
  checked and normalized), ``conv_groups``, ``conv_transpose_pads``,
  ``check_same_shape``, ``label_error``, ``axes_list``, ``check_normalize_order``.
* :data:`image_args`: ``cornu.ops.image``: ``check_rank``, ``check_interpolation``,
  ``check_fill_mode``, ``check_resize``, ``check_points``, ``check_same_shape``,
  ``check_transform``, ``pad_amounts``, ``crop_box``, ``patch_size``, ``blur_sizes``,
  ``scale_and_translate_kernel``, ``colour_axis``, and the accepted values
  ``AFFINE_TRANSFORM_INTERPOLATIONS``, ``FILL_MODES``, ``SCALE_AND_TRANSLATE_METHODS``.
* :data:`linalg_args`: ``cornu.ops.linalg``: ``check_qr_mode``, ``jvp_inputs``.
* :data:`rnn_args`: the fused recurrent ops: ``gru_biases`` (a Keras-layout GRU bias
  split into its input and recurrent parts).
"""
# The code lives in cornu.ops' private modules (cornu.ops uses them itself); this module
# is their public face.  ``import a.b as c`` (not ``from cornu.ops import _x``) so that no
# name goes through cornu.ops.__getattr__, which would bind the backend.
import cornu.ops._image_args as image_args
import cornu.ops._linalg_args as linalg_args
import cornu.ops._nn_args as nn_args
import cornu.ops._rnn_args as rnn_args
from cornu.ops._args import canonical_axis, shape_text, standardize_tuple
from cornu.ops._generic import (
    STATISTIC_PAD_MODES,
    associative_scan,
    call_grad_fn,
    check_ctc_strategy,
    check_scan_args,
    ctc_beam_search_numpy,
    ctc_greedy_decode,
    fold,
    istft,
    pad_by_statistic,
    patch_index,
    rearrange,
    saturate_cast,
    stft,
    unfold,
    vectorize,
)

#: The generic op implementations, by name: the backend namespace each one belongs in
#: (``cornu.backend_spec`` lists them there, with the Keras op they implement).
GENERIC_OPS = {
    "associative_scan": "core",
    "rearrange": "core",
    "saturate_cast": "core",
    "vectorize": "numpy",
    "fold": "nn",
    "unfold": "nn",
    "stft": "math",
    "istft": "math",
}

__all__ = [
    "GENERIC_OPS",
    # generic ops
    "associative_scan",
    "fold",
    "istft",
    "rearrange",
    "saturate_cast",
    "stft",
    "unfold",
    "vectorize",
    # helpers
    "call_grad_fn",
    "canonical_axis",
    "check_ctc_strategy",
    "check_scan_args",
    "ctc_beam_search_numpy",
    "ctc_greedy_decode",
    "pad_by_statistic",
    "patch_index",
    "STATISTIC_PAD_MODES",
    "shape_text",
    "standardize_tuple",
    # argument checks per op family
    "image_args",
    "linalg_args",
    "nn_args",
    "rnn_args",
]
