"""Argument checks of ``cornu.ops.linalg``, shared by the backends (no framework import)."""
from cornu import tree


def check_qr_mode(mode):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', received {mode!r}")


def jvp_inputs(primals, tangents, to_tensor):
    """``jvp``'s inputs checked and converted with the backend's ``to_tensor``.

    ``primals``: a tuple or list of the inputs of the function; ``tangents``: the
    tangent vectors, with the structure and shapes of ``primals``.  Returns
    ``(primals, flat_primals, flat_tangents)``: the primals as a tuple of tensors,
    and both flattened (the tangents still as given; the backend casts them to
    the primals' dtypes).
    """
    if not isinstance(primals, (tuple, list)):
        raise TypeError(
            f"jvp: `primals` must be a tuple or list of inputs, received {type(primals).__name__}"
        )
    primals = tuple(tree.map_structure(to_tensor, tuple(primals)))
    flat = tree.flatten(primals)
    flat_tangents = tree.flatten(tuple(tangents))
    if len(flat_tangents) != len(flat):
        raise ValueError(
            f"jvp: `tangents` must match the structure of `primals`: received "
            f"{len(flat_tangents)} tangents for {len(flat)} primals"
        )
    return primals, flat, flat_tangents
