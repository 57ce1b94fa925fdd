"""One kernel call per chunk for the filter + band power + LDA decoder, and
one pass per chunk for the intracortical band-pass + spike features path.

The stage-by-stage path of :class:`~workbench.decoding.OnlineDecoder` is
general; this one serves the decoder the workbench trains by default (one
filter stage, :class:`BandPower`, :class:`LDA`) with the same kernels chained
inside :func:`~workbench.decoding.kernels.bandpower_lda_chunk` and buffers
kept from chunk to chunk. Its outputs equal the general path's to the last
bit (tests/decoding/test_online.py).
"""

from __future__ import annotations

import numpy as np

from .kernels import bandpower_lda_chunk
from .kernels.spikes import spike_chunk
from .kernels.filtering import TILE


class FusedBandPowerLDA:
    """Buffers and the call of the fused kernel for one fitted decoder."""

    @staticmethod
    def applies(decoder):
        from .features import BandPower
        from .filters import _SOSStage
        from .models import LDA

        return (len(decoder.stages) == 1 and isinstance(decoder.stages[0], _SOSStage)
                and type(decoder.features) is BandPower and type(decoder.model) is LDA)

    def __init__(self, decoder):
        stage, lda = decoder.stages[0], decoder.model
        self.sos = stage.sos_
        self.n_channels = decoder.n_channels
        self.n_features = stage.n_outputs(decoder.n_channels)
        self.coef, self.intercept = lda.coef_, lda.intercept_
        self.n_classes = len(lda.classes_)
        self.step, self.window = int(decoder.step), int(decoder.window)
        self.take_log = bool(decoder.features.log)
        self._grow(2 * self.step)

    def _grow(self, n):
        self.scratch = np.empty((n, min(TILE, self.n_channels)))
        self.bad_rows = np.zeros(n, dtype=bool)
        self.tile_buf = np.empty((n, min(TILE, self.n_channels)))
        self.decision = np.empty((n // self.step + 1, len(self.intercept)))

    def run(self, x, stage_state, feature_state, last_valid, last_bad, valid_from, invalid_span, limit):
        """Process chunk ``x``; return (n_bad, state_ok, sample_index, features, posteriors, valid)."""
        n = x.shape[0]
        if n > len(self.scratch):
            self._grow(n)
        m = n // self.step + 1
        feats = np.empty((m, self.n_features))
        probs = np.empty((m, self.n_classes))
        valid = np.empty(m, dtype=bool)
        idx = np.empty(m, dtype=np.int64)
        n_out, n_bad, state_ok = bandpower_lda_chunk(
            x, self.scratch, last_valid, self.bad_rows, self.sos, stage_state.zi, self.tile_buf, self.step,
            feature_state.acc, feature_state.blocks, feature_state.newer, feature_state.counter, self.take_log,
            self.coef, self.intercept, feats, self.decision, probs, valid, idx, self.window, last_bad, valid_from,
            invalid_span, limit)
        return n_bad, state_ok, idx[:n_out], feats[:n_out], probs[:n_out], valid[:n_out]


class FusedSpikes:
    """Buffers and the call of :func:`~.kernels.spikes.spike_chunk` for an intracortical decoder.

    Applies to one band-pass stage (a single band) followed by
    :class:`SpikeFeatures`, whatever the model (the Kalman step runs on the
    features after the kernel, as stage by stage). Repair, filter, crossings
    and spike-band power go in one pass over the chunk; outputs equal the
    stage-by-stage path's to the last bit (tests/decoding/test_online.py).
    """

    #: channels per tile and rows per pass over the tiles: a tile's states and
    #: 128 rows of its input (64 KB) stay in L2 between the filter's passes.
    #: Measured on benchmarks/decoder.py's 1024-channel 30 kHz chunks (64,
    #: 128 and 600 rows; 64 and 128 channels): within 5 % of each other.
    TILE, TIME_BLOCK = 64, 128

    @staticmethod
    def applies(decoder):
        from .features import SpikeFeatures
        from .filters import _SOSStage

        return (len(decoder.stages) == 1 and isinstance(decoder.stages[0], _SOSStage)
                and decoder.stages[0].sos_.shape[0] == 1 and type(decoder.features) is SpikeFeatures)

    def __init__(self, decoder):
        stage, feats = decoder.stages[0], decoder.features
        self.sos = stage.sos_
        self.thresholds = feats.thresholds_
        self.bin_size = int(feats.window_)
        n_ch, n_sec = decoder.n_channels, self.sos.shape[1]
        self.n_channels = n_ch
        self.tiles = np.empty(((n_ch + self.TILE - 1) // self.TILE, 2 * n_sec + 4, self.TILE))
        self.scratch = np.empty((2, self.TIME_BLOCK, self.TILE))
        self.bad_rows = np.zeros(0, dtype=bool)

    def run(self, x, stage_state, feature_state, last_valid, limit):
        """Process chunk ``x``; return (features, n_bad, state_ok); ``bad_rows[:n]`` marks non-finite rows."""
        n = x.shape[0]
        if n > len(self.bad_rows):
            self.bad_rows = np.zeros(n, dtype=bool)
        feats = np.empty((n // self.bin_size + 1, 2 * self.n_channels))
        fs = feature_state
        n_out, n_bad, state_ok = spike_chunk(
            x, self.sos, stage_state.zi, self.thresholds, self.bin_size, fs.prev, fs.counts, fs.power, fs.counter,
            last_valid, self.bad_rows, feats, self.tiles, self.scratch, limit, self.TILE, self.TIME_BLOCK)
        return feats[:n_out], n_bad, state_ok
