"""Natural logarithm that LLVM vectorises, for the band-power log.

numba lowers ``np.log`` of a scalar to a call of the C library's ``log``,
which the loop vectorizer cannot turn into vector code without a vector math
library: at 1024 channels x 2 bands the 2048 logs per output cost 9 us of a
~130 us chunk, one call each. :func:`log` below is plain arithmetic on the
bits of the double (no call, no table, no branch: selects), so a loop over
channels becomes packed code: 3.7 us for 2048 values on this machine.

Method (the classic argument reduction of Cody & Waite, Software Manual for
the Elementary Functions, 1980, with the minimax polynomial of Sun's fdlibm
``e_log.c``, whose coefficients are published facts): write
``x = 2**k * m`` with ``sqrt(2)/2 < m <= sqrt(2)``, ``f = m - 1`` (exact),
``s = f / (2 + f)`` so that ``log(m) = log(1 + s) - log(1 - s) = 2s + 2s**3/3
+ ...``, the tail as a degree-14 polynomial in ``s``; ``k * log(2)`` in two
parts so that it adds no rounding error. Error below 1 ulp: it differs from
the C library's ``log`` by at most 1 ulp (tests/decoding/kernels/test_logarithm.py
checks millions of values across the whole double range). Special values as
IEEE 754 asks: ``log(0) = -inf``, ``log(inf) = inf``, NaN for NaN and negatives.
"""

from __future__ import annotations

import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic

from ...utils._jit import jit

ir = cgutils.ir

_LN2_HI = 6.93147180369123816490e-01  # log(2) rounded to 32 significant bits: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10  # log(2) - _LN2_HI
_LG1, _LG2, _LG3, _LG4 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, \
    2.222219843214978396e-01
_LG5, _LG6, _LG7 = 1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01
_SQRT2 = 1.4142135623730951
_TINY = 2.2250738585072014e-308  # smallest normal double; below it, scale by 2**54 first
_TWO54 = 18014398509481984.0


@intrinsic
def float_bits(typingctx, x):
    """The 64 bits of a double as an int64 (a register move, no memory)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def bits_float(typingctx, i):
    """The double whose 64 bits are ``i``."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@jit(inline="always")
def log(x):
    """Natural logarithm of a double, within 1 ulp (see the module docstring)."""
    sub = x < _TINY
    xs = x * _TWO54 if sub else x
    bits = float_bits(xs)
    k = ((bits >> 52) & 0x7FF) - 1023 - (54 if sub else 0)
    m = bits_float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # mantissa in [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    k = k + 1 if big else k
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7))) + w * (_LG2 + w * (_LG4 + w * _LG6))
    hfsq = 0.5 * f * f
    dk = float(k)
    y = dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)
    y = -np.inf if x == 0.0 else y
    y = x if x == np.inf else y
    return y if x >= 0.0 else np.nan


@jit
def log_array(x, out):
    """``out[i] = log(x[i])`` for 1-D arrays (vectorised)."""
    for i in range(x.shape[0]):
        out[i] = log(x[i])
    return out
