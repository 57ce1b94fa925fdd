"""The decoder core: numba kernels shared by offline analysis and online use.

Layers, bottom up: ``kernels`` (numba, numpy only); scikit-learn estimators
built on them (filters, references, CSP, band power, spikes, LDA, ridge,
Kalman); :class:`Decoder` (one fitted object for both paths) and
:class:`OnlineDecoder`; ``io`` (save/load without pickle); ``model_selection``.
"""

from .csp import CSP
from .decoder import Decoder
from .features import BandPower, LogVariance, SpikeFeatures
from .filters import FilterBank, IIRFilter, NotchFilter
from .io import load_decoder, read_decoder_metadata, save_decoder
from .model_selection import LeaveOneRunOut, LeaveOneSessionOut, window_groups
from .models import LDA, KalmanDecoder, Ridge
from .online import DecoderOutput, OnlineDecoder, decode_in_chunks
from .reref import CommonAverageReference, LaplacianReference

__all__ = [
    "BandPower", "CSP", "CommonAverageReference", "Decoder", "DecoderOutput", "FilterBank",
    "IIRFilter", "KalmanDecoder", "LDA", "LaplacianReference", "LeaveOneRunOut",
    "LeaveOneSessionOut", "LogVariance", "NotchFilter", "OnlineDecoder", "Ridge",
    "SpikeFeatures", "decode_in_chunks", "load_decoder", "read_decoder_metadata",
    "save_decoder", "window_groups",
]
