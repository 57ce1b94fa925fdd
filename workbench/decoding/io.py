"""Saving and loading fitted decoders without pickle.

File format ``workbench-decoder``, version 1: one NumPy ``.npz`` archive
(read with ``allow_pickle=False``, so loading never runs code) holding

``meta.json``
    A 0-d unicode array with a JSON object: ``format``, ``format_version``,
    ``workbench_version``, ``created_utc``, ``sfreq``, ``ch_names``,
    ``window``, ``step``, ``invalid_span``, ``bands`` (Hz), ``outputs``,
    ``training_sha256``, and ``stages``/``features``/``model``: each
    ``{"type": class name, "params": get_params(), "scalars": {...}}``.
``<part>.<attribute>``
    Every fitted array, e.g. ``stage0.sos_``, ``features.filters_``,
    ``model.coef_`` (part = ``stage<i>``, ``features`` or ``model``).

Only the classes listed in ``_REGISTRY`` can be named by ``type``; an unknown
type or a newer ``format_version`` is refused with a clear error.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import Problem, RecordingFileError, ValidationError
from ..utils.files import atomic_write

FORMAT = "workbench-decoder"
FORMAT_VERSION = 1


def _registry():
    from . import csp, features, filters, models, reref, riemann, smoothing

    classes = [
        filters.IIRFilter, filters.NotchFilter, filters.FilterBank,
        reref.CommonAverageReference, reref.LaplacianReference, smoothing.SmoothedPower,
        csp.CSP, features.BandPower, features.LogVariance, features.SpikeFeatures, smoothing.LastSample,
        models.LDA, models.Ridge, models.KalmanDecoder,
        riemann.Covariances, riemann.TangentSpace, riemann.LogisticRegression, riemann.MDM,
    ]
    return {c.__name__: c for c in classes}


def _jsonable(v):
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def _describe(part, est, arrays):
    for attr in est._fitted_arrays:
        val = np.asarray(getattr(est, attr))
        if val.dtype.kind == "O":
            val = val.astype(str)
        arrays[f"{part}.{attr}"] = val
    scalars = {a: _jsonable(getattr(est, a)) for a in est._fitted_scalars if hasattr(est, a)}
    return {"type": type(est).__name__, "params": _jsonable(est.get_params()), "scalars": scalars}


def save_decoder(decoder, fname):
    """Write a fitted decoder to ``fname`` (.npz) atomically; return the path."""
    if not decoder.is_fitted:
        from sklearn.exceptions import NotFittedError

        raise NotFittedError("Only a fitted Decoder can be saved: call fit(...) first.")
    fname = Path(fname)
    if fname.suffix != ".npz":
        raise ValidationError([Problem("fname", str(fname), "a path ending in .npz")], what="save_decoder")
    arrays = {}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "workbench_version": __version__,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "sfreq": decoder.sfreq,
        "ch_names": decoder.ch_names,
        "window": int(decoder.window),
        "step": int(decoder.step),
        "invalid_span": int(decoder.invalid_span),
        "bands": decoder.bands,
        "outputs": decoder.output_names(),
        "training_sha256": decoder.training_sha256_,
        "stages": [_describe(f"stage{i}", st, arrays) for i, st in enumerate(decoder.stages)],
        "features": _describe("features", decoder.features, arrays),
        "model": _describe("model", decoder.model, arrays),
    }
    arrays["meta.json"] = np.array(json.dumps(meta))
    with atomic_write(fname, "wb") as fh:
        np.savez(fh, **arrays)
    return fname


def read_decoder_metadata(fname):
    """The JSON metadata of a saved decoder, without building it."""
    try:
        with np.load(fname, allow_pickle=False) as z:
            meta = json.loads(str(z["meta.json"]))
    except (OSError, ValueError, KeyError) as err:
        raise RecordingFileError(f"{fname}: not a readable {FORMAT} file ({err})") from None
    if meta.get("format") != FORMAT:
        raise RecordingFileError(f"{fname}: format is {meta.get('format')!r}, expected {FORMAT!r}")
    if not isinstance(meta.get("format_version"), int) or meta["format_version"] > FORMAT_VERSION:
        raise RecordingFileError(
            f"{fname}: format_version {meta.get('format_version')!r} is newer than this workbench "
            f"reads ({FORMAT_VERSION}); update the workbench"
        )
    return meta


def _build(part, desc, z, registry):
    cls = registry.get(desc.get("type"))
    if cls is None:
        raise RecordingFileError(f"{part}: unknown type {desc.get('type')!r}; allowed: {sorted(registry)}")
    params = desc["params"]
    for k, v in list(params.items()):  # JSON turned tuples into lists
        if isinstance(v, list):
            params[k] = tuple(tuple(x) if isinstance(x, list) else x for x in v)
    est = cls(**params)
    for attr in cls._fitted_arrays:
        key = f"{part}.{attr}"
        if key not in z.files:  # e.g. a KalmanDecoder saved before it fitted intercepts
            raise RecordingFileError(f"{part}: {desc['type']} lacks the fitted array {attr!r}; fit and save it again")
        setattr(est, attr, np.ascontiguousarray(z[key]))
    for attr, val in desc["scalars"].items():
        setattr(est, attr, val)
    return est


def load_decoder(fname, *, ch_names=None, sfreq=None):
    """Load a decoder saved by :func:`save_decoder`.

    Parameters
    ----------
    fname : path
    ch_names, sfreq : optional
        The stream it will run on; if given, checked against the training
        channels and rate (a ValidationError lists every difference).
    """
    from .decoder import Decoder

    meta = read_decoder_metadata(fname)
    registry = _registry()
    with np.load(fname, allow_pickle=False) as z:
        stages = [_build(f"stage{i}", d, z, registry) for i, d in enumerate(meta["stages"])]
        feats = _build("features", meta["features"], z, registry)
        model = _build("model", meta["model"], z, registry)
    dec = Decoder([], [feats, model], sfreq=meta["sfreq"], ch_names=meta["ch_names"],
                  window=meta["window"], step=meta["step"], invalid_span=meta["invalid_span"])
    # Decoder clones its inputs (dropping fitted state): put the fitted parts back.
    dec.stages, dec.features, dec.model = stages, feats, model
    dec.training_sha256_ = meta["training_sha256"]
    dec.metadata_ = meta
    if ch_names is not None or sfreq is not None:
        dec.check_stream(ch_names if ch_names is not None else dec.ch_names, sfreq if sfreq is not None else dec.sfreq)
    return dec
