"""Numba kernels of the decoder core: numpy in, numpy out, no checks, no I/O.

Every streaming kernel takes its state as arrays that it updates in place, so
feeding a recording in one piece or in any chunking walks the state through the
same values sample by sample (the parity tests in tests/decoding prove it). The
public layer (``workbench.decoding``) validates input; kernels trust it.

A kernel calls another with integer arguments that are ``int64`` values, not
literal constants, unless the literal is the only value that call site can
pass: numba compiles a jitted callee once more for every literal it is
called with, so a ``0`` at one call site and a computed offset at another
compiled the spike path's groups, ``cascade_tile`` and its sections twice
(``np.int64(0)`` is typed ``int64``; a variable first set to ``0`` can stay
the literal). On an empty cache that took ``workbench warmup`` from 147 to
90 s (tests/test_cli_warmup.py lists any kernel compiled twice).
"""

from .covariance import covariance, ledoit_wolf_shrinkage
from .filtering import sosfilt_bank
from .fused import bandpower_lda_chunk
from .models import class_probabilities, kalman_steps, linear_predict
from .power import ema_power, window_logvar, window_power
from .projection import spatial_filter
from .reref import common_average, laplacian
from .sanitize import all_bounded, count_nonfinite_rows, hold_last_valid
from .spikes import spike_bins

__all__ = [
    "all_bounded",
    "bandpower_lda_chunk",
    "class_probabilities",
    "common_average",
    "covariance",
    "ema_power",
    "count_nonfinite_rows",
    "hold_last_valid",
    "kalman_steps",
    "laplacian",
    "ledoit_wolf_shrinkage",
    "linear_predict",
    "sosfilt_bank",
    "spatial_filter",
    "spike_bins",
    "window_logvar",
    "window_power",
]
