"""Numba kernels of the decoder core: numpy in, numpy out, no checks, no I/O.

Every streaming kernel takes its state as arrays that it updates in place, so
feeding a recording in one piece or in any chunking walks the state through the
same values sample by sample (the parity tests in tests/decoding prove it). The
public layer (``workbench.decoding``) validates input; kernels trust it.
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
