"""The decoder core: numba kernels shared by offline analysis and online use.

Layers, bottom up: ``kernels`` (numba, numpy only); scikit-learn estimators
built on them (filters, references, exponential power smoothing, CSP, band
power, log-variance, spikes, LDA, ridge, Kalman); :class:`Decoder` (one
fitted object for both paths) and :class:`OnlineDecoder`; ``io`` (save/load
without pickle); ``model_selection`` (split by run or session);
labelled runs for training come from :mod:`workbench.recording.labelled`.

Typical use::

    dec = Decoder([IIRFilter(7, 30, sfreq=160), CommonAverageReference()],
                  make_pipeline(CSP(4), LDA()), sfreq=160, ch_names=names,
                  window=161, step=23).fit(runs, ends, labels)
    dec.save(path)                      # .npz + JSON metadata, no pickle
    online = load_decoder(path, ch_names=stream_names, sfreq=stream_rate).online()
    out = online.update(chunk)          # chunk: (n_times, n_channels)
    online.mark_gap()                   # the stream lost samples: filters restart
    faults = online.pop_faults()        # NaN input, state overflow, gaps
"""

from .csp import CSP
from .decoder import Decoder
from .features import BandPower, LogVariance, SpikeFeatures
from .filters import FilterBank, IIRFilter, NotchFilter
from .io import load_decoder, read_decoder_metadata, save_decoder
from .models import LDA, KalmanDecoder, Ridge
from .online import DecoderFault, DecoderOutput, OnlineDecoder, decode_in_chunks
from .presets import DECODER_KINDS, make_decoder
from .reref import CommonAverageReference, LaplacianReference
from .riemann import MDM, Covariances, LogisticRegression, TangentSpace
from .smoothing import LastSample, SmoothedPower

__all__ = [
    "BandPower", "CSP", "DECODER_KINDS", "CommonAverageReference", "Covariances", "Decoder", "DecoderFault", "DecoderOutput",
    "FilterBank", "IIRFilter", "KalmanDecoder", "LDA", "LaplacianReference", "LastSample", "LeaveOneRunOut",
    "LeaveOneSessionOut", "LogVariance", "LogisticRegression", "MDM", "NotchFilter", "OnlineDecoder", "Ridge",
    "SmoothedPower", "SpikeFeatures", "TangentSpace", "decode_in_chunks", "load_decoder", "make_decoder", "read_decoder_metadata",
    "save_decoder", "window_groups",
]

# The splitters derive from scikit-learn's; importing them here would load scikit-learn (~1 s) in
# every live session, which only loads a saved decoder and runs it.
_LAZY = {"LeaveOneRunOut": "model_selection", "LeaveOneSessionOut": "model_selection",
         "window_groups": "model_selection"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
