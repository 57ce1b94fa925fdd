"""``workbench warmup``: compile (or load from numba's cache) every kernel a session can call.

A cold numba cache costs tens of seconds of compiling the first time a kernel
runs. In a live loop that is a stalled reader and an overrun ring buffer
(issue 18), so the install step (``make venv``) runs this once, and the demo and
``workbench session run`` run it again before the participant is asked to do
anything: with a warm cache each step loads in well under a second.

The steps run the same code paths a session runs, on small synthetic data:
fitting the band-power + shrinkage-LDA decoders (calibration and training),
scoring windows offline, and the online decoder on live-shaped chunks, stage
by stage and fused (:meth:`OnlineDecoder.warm`), the Riemannian decoders
(tangent space + logistic regression, MDM), the CSP decoder and the
intracortical one (spike band, threshold crossings, Kalman). The safety gate, the
effectors and the adaptive controller are plain Python: nothing to compile.
"""

from __future__ import annotations

import argparse
import time


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "warmup",
        help="compile or load from the cache every kernel a session can call",
        description=(
            "Compile (or load from numba's cache) the decoder kernels a session calls, printing each step "
            "and its time, so that no live loop ever compiles. `make venv` runs it once; the demo and "
            "`workbench session run` run it before they start (a second or two with a warm cache)."
        ),
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar, only the total")
    p.set_defaults(func=run)


def _fit_attempt_decoder():
    """The calibration decoder (filter bank, log band power, shrinkage LDA) on simulated EEG."""
    from ..datasets import SyntheticSource
    from ..session.calibration import fit_attempt_decoder, pick_sensorimotor

    source = SyntheticSource(montage="eeg-64", seed=0)
    data, _ = source.generate(int(round(20 * source.sfreq)))
    picks = pick_sensorimotor(source.ch_names)
    cols = [source.ch_names.index(c) for c in picks]
    return fit_attempt_decoder(data[:, cols], sfreq=source.sfreq, ch_names=picks, cue_at=source.cue_at,
                               cue_samples=source.cue_samples), data[:, cols]


#: The decoder families the warm-up can prepare; ``workbench warmup`` (the install step) prepares all.
PATHS = ("bandpower", "riemann", "csp", "spikes")


def warm_kernels(progress: bool = True, out=print, paths=PATHS) -> list[tuple[str, float]]:
    """Run the steps of ``paths``; return ``(step, seconds)``. Prints each step when ``progress``.

    ``workbench demo`` and ``workbench session run`` ask for ``("bandpower",)`` only: they fit and
    run band-power decoders, and a decoder file of another family warms itself at the stream's
    real shape before the stream opens (``run_block``). On a cold cache the spike path alone takes
    minutes to compile; a trial day that does not use it should not wait for it.
    """
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        from ..errors import Problem, ValidationError

        raise ValidationError([Problem("paths", unknown, f"any of {list(PATHS)}")], what="kernel warm-up")
    import numpy as np
    from tqdm import tqdm

    state: dict = {}

    def fit():
        state["decoder"], state["data"] = _fit_attempt_decoder()

    def offline():
        from ..decoding.online import decode_in_chunks

        decode_in_chunks(state["decoder"], state["data"][:2000], [37, 1, 250])

    def online():
        dec = state["decoder"]
        for chunk_ms in (1.0, 4.0, 10.0, 20.0):  # chunk lengths differ in size only, not in compiled type
            dec.online().warm(max(2, int(round(chunk_ms * 1e-3 * dec.sfreq))))

    def float32_input():
        # a stream in float32 is fed as float64 by the loop; a training run read from an XDF may not be
        dec = state["decoder"]
        dec.online().update(np.ascontiguousarray(state["data"][:600], dtype=np.float32))

    def riemann():
        # tangent space + logistic regression and MDM (pyRiemann fits, numba applies): the same
        # band-passed calibration data, alternate labels, fitted and run online in live-shaped chunks
        from ..decoding import MDM, Covariances, Decoder, IIRFilter, LogisticRegression, TangentSpace

        # four channels, 20 windows: the compiled code does not depend on the sizes, the fitting time does
        dec0, data = state["decoder"], np.ascontiguousarray(state["data"][:, :4])
        win = int(dec0.sfreq)
        ends = np.arange(win - 1, len(data), win // 2)[:20]
        for pipe in ([TangentSpace(estimator="lwf"), LogisticRegression()], [Covariances(estimator="lwf"), MDM()]):
            dec = Decoder([IIRFilter(8.0, 30.0, sfreq=dec0.sfreq)], pipe, sfreq=dec0.sfreq, ch_names=dec0.ch_names[:4],
                          window=win, step=win // 10)
            dec.fit([data], [ends], np.arange(len(ends)) % 2)
            dec.decode(data[: 3 * win])  # produces outputs: the model's kernels compile too
            dec.online().warm(max(2, win // 25))

    def csp():
        # two-class motor imagery: band-pass, common average reference, CSP log-power, LDA (MNE's CSP fits,
        # numba applies); the same calibration data with alternate labels, fitted, decoded, run online
        from ..decoding import CSP, LDA, CommonAverageReference, Decoder, IIRFilter

        dec0, data = state["decoder"], np.ascontiguousarray(state["data"])
        win = int(dec0.sfreq)
        ends = np.arange(win - 1, len(data), win // 2)[:20]
        dec = Decoder([IIRFilter(7.0, 30.0, sfreq=dec0.sfreq, order=4), CommonAverageReference()],
                      [CSP(4), LDA()], sfreq=dec0.sfreq, ch_names=dec0.ch_names, window=win, step=win // 10)
        dec.fit([data], [ends], np.arange(len(ends)) % 2)
        dec.decode(data[: 3 * win])
        for chunk_ms in (1.0, 4.0, 10.0):
            dec.online().warm(max(2, int(round(chunk_ms * 1e-3 * dec0.sfreq))))

    def spikes():
        # intracortical: spike-band filter, threshold crossings and spike-band power per bin, Kalman filter
        # (the fused spike kernel and the stage-by-stage path); noise at a tenth of an implant's rate, the
        # compiled code does not depend on rate or channel count
        from ..decoding import Decoder, IIRFilter, KalmanDecoder, SpikeFeatures

        sfreq, bin_n, n_ch = 3000.0, 60, 8
        rng = np.random.default_rng(0)
        x = rng.standard_normal((40 * bin_n, n_ch)) * 10.0
        velocity = rng.standard_normal((40, 2)).cumsum(axis=0) * 0.1
        dec = Decoder([IIRFilter(300.0, 1200.0, sfreq=sfreq, order=4)], [SpikeFeatures(k=3.0), KalmanDecoder()],
                      sfreq=sfreq, ch_names=[f"e{i}" for i in range(n_ch)], window=bin_n, step=bin_n)
        dec.fit([x], [np.arange(bin_n - 1, len(x), bin_n)], velocity)
        dec.decode(x[: 3 * bin_n])
        for chunk_ms in (1.0, 4.0, 10.0):
            dec.online().warm(max(2, int(round(chunk_ms * 1e-3 * sfreq))))

    # The band-power decoder's fit comes first whatever is asked: the other steps reuse its data.
    steps = [("bandpower", "decoder fit: filter bank, log band power, shrinkage LDA", fit),
             ("bandpower", "offline decoding in chunks (training, re-analysis)", offline),
             ("bandpower", "online decoder on live chunks (stage by stage, fused, NaN, gap)", online),
             ("bandpower", "online decoder on float32 input", float32_input),
             ("riemann", "Riemannian decoders: tangent space + logistic regression, MDM", riemann),
             ("csp", "CSP decoder: band-pass, common average reference, CSP log-power, LDA", csp),
             ("spikes", "intracortical decoder: spike band, threshold crossings, Kalman filter", spikes)]
    steps = [(label, fn) for path, label, fn in steps if path in paths or fn is fit]
    done = []
    t_all = time.perf_counter()
    bar = tqdm(total=len(steps), desc="kernels", unit="step", disable=not progress, leave=False)
    try:
        for label, fn in steps:
            bar.set_postfix_str(label.split(":")[0], refresh=True)
            t = time.perf_counter()
            fn()
            done.append((label, time.perf_counter() - t))
            bar.update(1)
            if progress:
                bar.write(f"  {done[-1][1]:6.1f} s  {label}")
    finally:
        bar.close()
    if progress:
        out(f"kernels ready in {time.perf_counter() - t_all:.1f} s (numba cache: compiled once, then loaded)")
    return done


def run(args: argparse.Namespace) -> int:
    t = time.perf_counter()
    if not args.quiet:
        print("compiling the decoder kernels (or loading them from numba's cache) ...", flush=True)
    warm_kernels(progress=not args.quiet)
    if args.quiet:
        print(f"kernels ready in {time.perf_counter() - t:.1f} s")
    return 0
