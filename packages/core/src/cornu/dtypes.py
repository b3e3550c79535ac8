"""Keras dtype names and Keras 3 type promotion, shared by every backend.

Backends map these names to their own dtype objects; the rules for naming and
promoting dtypes live here once.
"""

FLOATS = ("float16", "bfloat16", "float32", "float64")

#: Bit width of every Keras dtype name (0 for strings).
BITS = {
    "bool": 1, "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64,
    "int8": 8, "int16": 16, "int32": 32, "int64": 64,
    "float16": 16, "bfloat16": 16, "float32": 32, "float64": 64,
    "complex64": 64, "complex128": 128, "string": 0,
}

#: Other spellings of the names.
ALIASES = {
    "float": "float32", "double": "float64", "half": "float16", "int": "int64",
    "long": "int64", "bool_": "bool", "boolean": "bool",
}

#: The dtype Python types stand for.
PY_TYPES = {bool: "bool", int: "int64", float: "float32", complex: "complex64"}


def kind(dtype):
    """0 bool, 1 unsigned int, 2 signed int, 3 float, 4 complex."""
    if dtype == "bool":
        return 0
    if dtype.startswith("uint"):
        return 1
    if dtype.startswith("int"):
        return 2
    if dtype.startswith("complex"):
        return 4
    return 3


def is_float_dtype(dtype):
    return kind(dtype) == 3


def is_int_dtype(dtype):
    return kind(dtype) in (1, 2)


def promote_types(a, b):
    """The Keras 3 result dtype of two dtype names.

    A higher kind wins (bool < int < float < complex); signed with unsigned
    widens to a signed type that holds both; float16 with bfloat16 is float32.
    """
    if a == b:
        return a
    ka, kb = kind(a), kind(b)
    if ka in (1, 2) and kb in (1, 2) and ka != kb:  # signed vs unsigned
        s, u = (a, b) if ka == 2 else (b, a)
        if BITS[u] < BITS[s]:
            return s
        return f"int{min(2 * BITS[u], 64)}"
    if ka != kb:
        return a if ka > kb else b
    if ka == 3 and {a, b} == {"float16", "bfloat16"}:
        return "float32"
    return a if BITS[a] >= BITS[b] else b


def dtype_name(dtype, strict=False):
    """The Keras name of a dtype given by name or object, without loading a backend.

    Accepts names and their aliases (``"float"``, ``"double"``), ``torch.float16``
    style objects and strings, numpy dtypes and scalar types, ``tf.DType`` and
    Python types.  ``strict=True`` rejects the loose aliases (``"float"``,
    ``"int"``...), as Keras's dtype policies do.
    """
    if isinstance(dtype, type) and dtype in PY_TYPES:
        return PY_TYPES[dtype]
    if isinstance(dtype, str):
        name = dtype
    else:
        name = getattr(dtype, "name", None)
        if not isinstance(name, str):
            name = str(dtype)  # torch.dtype prints as "torch.float32"
            if isinstance(dtype, type):
                import numpy as np

                if issubclass(dtype, np.generic):
                    name = np.dtype(dtype).name
    if name.startswith("torch."):
        name = name[6:]
    if not strict:
        name = ALIASES.get(name, name)
    if name not in BITS:
        raise ValueError(f"Invalid dtype: {dtype!r}")
    return name
