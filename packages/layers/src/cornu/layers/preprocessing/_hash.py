"""Stable string hashes for the hashing preprocessing layers, in pure Python.

The functions here reproduce, bit for bit, the hashes TensorFlow uses in the Keras 3
layers, so that cornu bins a value exactly as Keras does, on every backend and in
every process (Python's own ``hash`` is salted per process and cannot be used):

* ``fingerprint64(data)``: FarmHash ``Fingerprint64`` (``farmhashna::Hash64``), what
  ``tf.strings.to_hash_bucket_fast`` and ``Hashing(salt=None)`` use;
* ``siphash24(key, data)``: SipHash-2-4 with a 128-bit key given as two 64-bit
  integers, what ``tf.strings.to_hash_bucket_strong`` and ``Hashing(salt=...)`` use;
* ``fingerprint_cat64(a, b)``: the combination step of ``tf.sparse.cross_hashed``
  (``HashedCrossing``), seeded with ``CROSS_HASH_KEY``.

Integers are hashed through their decimal string (``tf.as_string``), as Keras does.
The arithmetic is done on Python ints masked to 64 bits; a value is hashed once per
call however often it occurs (``np.unique`` first).
"""
import numpy as np

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_KMUL = 0xC6A4A7935BD1E995
#: The default ``hash_key`` of ``tf.sparse.cross_hashed``.
CROSS_HASH_KEY = 0xDECAFCAFFE


def _rot(v, s):
    return ((v >> s) | (v << (64 - s))) & _MASK


def _fetch64(b, i):
    return int.from_bytes(b[i:i + 8], "little")


def _fetch32(b, i):
    return int.from_bytes(b[i:i + 4], "little")


def _shift_mix(v):
    return v ^ (v >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len0to16(s, n):
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _MASK
        b = _fetch64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _MASK
        d = ((_rot(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _fetch32(s, 0)
        return _hash_len16((n + (a << 3)) & _MASK, _fetch32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _hash_len17to32(s, n):
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _MASK
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _MASK
    d = (_fetch64(s, n - 16) * _K2) & _MASK
    return _hash_len16((_rot((a + b) & _MASK, 43) + _rot(c, 30) + d) & _MASK,
                       (a + _rot((b + _K2) & _MASK, 18) + c) & _MASK, mul)


def _hash_len33to64(s, n):
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _MASK
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _MASK
    d = (_fetch64(s, n - 16) * _K2) & _MASK
    y = (_rot((a + b) & _MASK, 43) + _rot(c, 30) + d) & _MASK
    z = _hash_len16(y, (a + _rot((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(s, 16) * mul) & _MASK
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _MASK
    h = ((z + _fetch64(s, n - 24)) * mul) & _MASK
    return _hash_len16((_rot((e + f) & _MASK, 43) + _rot(g, 30) + h) & _MASK,
                       (e + _rot((f + a) & _MASK, 18) + g) & _MASK, mul)


def _weak_hash_len32_with_seeds(s, i, a, b):
    w, x, y, z = (_fetch64(s, i), _fetch64(s, i + 8), _fetch64(s, i + 16),
                  _fetch64(s, i + 24))
    a = (a + w) & _MASK
    b = _rot((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rot(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(data):
    """FarmHash Fingerprint64 of ``data`` (bytes or str, UTF-8) as an unsigned int."""
    s = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    n = len(s)
    if n <= 16:
        return _hash_len0to16(s, n)
    if n <= 32:
        return _hash_len17to32(s, n)
    if n <= 64:
        return _hash_len33to64(s, n)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v0 = v1 = w0 = w1 = 0
    x = (x * _K2 + _fetch64(s, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _fetch64(s, i + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rot((y + v1 + _fetch64(s, i + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w1
        y = (y + v0 + _fetch64(s, i + 40)) & _MASK
        z = (_rot((z + w0) & _MASK, 33) * _K1) & _MASK
        v0, v1 = _weak_hash_len32_with_seeds(s, i, (v1 * _K1) & _MASK, (x + w0) & _MASK)
        w0, w1 = _weak_hash_len32_with_seeds(s, i + 32, (z + w1) & _MASK,
                                             (y + _fetch64(s, i + 16)) & _MASK)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w0 = (w0 + ((n - 1) & 63)) & _MASK
    v0 = (v0 + w0) & _MASK
    w0 = (w0 + v0) & _MASK
    x = (_rot((x + y + v0 + _fetch64(s, i + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rot((y + v1 + _fetch64(s, i + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w1 * 9) & _MASK
    y = (y + v0 * 9 + _fetch64(s, i + 40)) & _MASK
    z = (_rot((z + w0) & _MASK, 33) * mul) & _MASK
    v0, v1 = _weak_hash_len32_with_seeds(s, i, (v1 * mul) & _MASK, (x + w0) & _MASK)
    w0, w1 = _weak_hash_len32_with_seeds(s, i + 32, (z + w1) & _MASK,
                                         (y + _fetch64(s, i + 16)) & _MASK)
    z, x = x, z
    return _hash_len16(
        (_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash_len16(v1, w1, mul) + x) & _MASK, mul)


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _MASK
    v1 = _rot_left(v1, 13) ^ v0
    v0 = _rot_left(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rot_left(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rot_left(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rot_left(v1, 17) ^ v2
    v2 = _rot_left(v2, 32)
    return v0, v1, v2, v3


def _rot_left(v, s):
    return ((v << s) | (v >> (64 - s))) & _MASK


def siphash24(key, data):
    """SipHash-2-4 of ``data`` under ``key = (k0, k1)`` (two 64-bit ints)."""
    s = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    k0, k1 = (int(k) & _MASK for k in key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    n = len(s)
    full = n - n % 8
    for i in range(0, full, 8):
        m = _fetch64(s, i)
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    b = ((n & 0xFF) << 56) | int.from_bytes(s[full:], "little")
    v3 ^= b
    v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def fingerprint_cat64(fp1, fp2):
    """Combine two 64-bit fingerprints (TensorFlow's ``FingerprintCat64``)."""
    result = fp1 ^ _KMUL
    result ^= (_shift_mix((fp2 * _KMUL) & _MASK) * _KMUL) & _MASK
    result = (result * _KMUL) & _MASK
    result = (_shift_mix(result) * _KMUL) & _MASK
    return _shift_mix(result)


def as_hash_text(values):
    """A numpy array of hashable values as Python str/bytes, the way ``tf.as_string`` spells them.

    Strings stay strings, bytes stay bytes, integers become their decimal text and
    floats are truncated to int64 first (as the Keras ``Hashing`` layer does).
    """
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = values.astype("int64")
    if values.dtype.kind in "iub":
        return values.astype("int64").astype(str)
    return values


def hash_buckets(values, num_buckets, key=None):
    """Bucket every value of a numpy array: ``hash(value) % num_buckets`` as int64.

    ``key=None`` uses FarmHash Fingerprint64 (``to_hash_bucket_fast``); a two-int
    ``key`` uses SipHash-2-4 (``to_hash_bucket_strong``).
    """
    text = as_hash_text(values)
    uniques, inverse = np.unique(text.reshape(-1), return_inverse=True)
    if key is None:
        hashed = [fingerprint64(_as_bytes(u)) % num_buckets for u in uniques.tolist()]
    else:
        hashed = [siphash24(key, _as_bytes(u)) % num_buckets for u in uniques.tolist()]
    table = np.asarray(hashed, dtype="int64")
    return table[inverse].reshape(text.shape)


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def feature_hash(value):
    """The per-feature hash of ``tf.sparse.cross_hashed``: int64 values as themselves
    (two's complement), strings by Fingerprint64."""
    if isinstance(value, (bytes, str, np.str_, np.bytes_)):
        return fingerprint64(_as_bytes(value))
    return int(value) & _MASK


def cross_buckets(columns, num_buckets):
    """``tf.sparse.cross_hashed`` of equal-length 1-D columns, as int64 bucket ids."""
    columns = [np.asarray(c).reshape(-1) for c in columns]
    out = np.empty(len(columns[0]), dtype="int64")
    for i, row in enumerate(zip(*(c.tolist() for c in columns))):
        h = CROSS_HASH_KEY
        for value in row:
            h = fingerprint_cat64(h, feature_hash(value))
        out[i] = h % num_buckets if num_buckets > 0 else h % ((1 << 63) - 1)
    return out
