"""Decoder benchmark: speed against a scipy/numpy/sklearn reference, start-up, parity, accuracy.

Run ``python benchmarks/decoder.py`` for a table, ``--json`` for one JSON
object on stdout (the table then goes to stderr). Every speed figure is a
ratio or rate measured in this run on this machine (best of ``--repeats``),
never compared to a hard-coded number.

- ``speedup_64ch``/``speedup_256ch``/``speedup_1024ch``: per-chunk CPU
  time of the reference a careful peer would write (:class:`ReferenceBandPowerLDA`:
  ``scipy.signal.sosfilt`` with ``zi`` per band, per-chunk block sums in a
  running sum so each output costs O(chunk), LDA as one dot product and the
  logistic function) divided by the workbench's online band-power+LDA
  decoder's. 2 kHz, 20 ms chunks, 2 bands (8-12, 18-26 Hz, 4th-order
  Butterworth), 0.5 s window, one output per chunk. Before timing, every
  output of both is checked equal (``np.testing.assert_allclose``, rtol
  1e-9). ``reference_us_per_chunk_*`` and ``workbench_us_per_chunk_*`` give
  the absolute costs beside the ratio. Each chunk is its own array, as an
  amplifier delivers it, so at 1024 channels (320 KB per chunk) both sides
  read it from memory rather than from cache, as they would live.
  Where the workbench's time goes at 1024 channels (about 90 us per chunk,
  measured per part on these chunks): the 4-section filters with the sums of
  squares ~65 us (17 operations per channel, band and sample in 256-bit
  vectors, two samples per pass so the states stay in registers), copying
  the filter states into and out of L1-sized tiles and checking them
  ~10 us (an empty chunk costs that), reading the chunk from memory ~12 us,
  the window sums and log ~4 us (two stacks: two adds per feature and
  output; a log that vectorises), Python ~1 us. At 64 channels (~12 us): ``update``'s
  Python ~1.5 us, the kernel call's fixed cost ~4 us (an empty chunk: numba
  unboxing 24 arguments, small allocations), filters and power the rest.
- ``intracortical_realtime_factor``: 1024 channels at 30 kHz, Butterworth
  band-pass 300-5000 Hz (``--ic-order``), threshold crossings at -4.5 RMS and
  spike-band power in 20 ms bins, Kalman update: seconds of signal decoded per
  second of CPU time on one thread (``..._wall``: per second of wall time,
  which on a shared machine also counts time spent waiting for a core), the
  fused pass (:func:`workbench.decoding.kernels.spikes.spike_chunk`);
  ``..._order2`` the same with a 2nd-order band-pass, ``..._unfused`` stage by
  stage (``online(fused=False)``, outputs asserted bit-identical first).
  ``intracortical_memory_limit_factor``: seconds of signal per second of one
  plain numba read-and-sum pass over the same ten 4.9 MB chunks (49 MB, beyond
  the 32 MB L3, as live): the ceiling of any pass that reads the data once;
  ``intracortical_fraction_of_memory_limit`` is the decoder's factor over it.
  ``speedup_intracortical``: against :class:`ReferenceIntracortical` (scipy
  ``sosfilt`` with ``zi`` per chunk, vectorised crossings and bin sums, the
  Kalman step in numpy), whose outputs are asserted equal within rounding
  first (``reference_max_abs_diff_intracortical``).
  Where the time goes, order 4, measured on this project's 2-core AMD EPYC
  VM (2.45 GHz, AVX2, 512 KB L2 per core) pinned to one core while other
  work ran on the other: one read of a chunk 0.25 ms (memory limit ~80x),
  the fused pass 1.1-1.25 ms per 20 ms chunk (16-18x; stage by stage
  1.4-1.6 ms, 12.5-14x; the peer 10 ms, 1.9x). The pass is not memory bound
  (about a fifth of the limit): in L2-resident tiles the four-section filter
  with the power sums alone costs 1.06 ns per sample and channel (0.65 ms per
  chunk), the crossings and the NaN repair 0.75 ns more, the read ~0.1 ms
  (it overlaps). The filter is latency bound: each section's state is three
  dependent FMAs per sample (15 cycles), and the 14 coefficients, 8 states
  and the spike sums do not fit in 16 vector registers, so LLVM neither
  interleaves channel vectors nor keeps everything in registers; four samples
  per pass was best (1, 2, 4, 8 samples: 2.0, 1.36, 1.06, 1.25 ns). Hence
  order 2 is faster (~19x) and the goal of 25x is not met on this machine.
- ``warm_start_s``/``cold_start_s``: a fresh process doing what a session
  does with a saved decoder (the 64-channel band-power one above): ``import``,
  ``load_decoder(file).online()``, ``warm(chunk)`` (as ``run_block`` does before
  any stream opens), the first update giving an output; with a populated or an
  empty numba cache (``NUMBA_CACHE_DIR`` pointed at a temporary folder), wall
  time inside the process; ``warm_start_cpu_s``: the whole warm process's CPU
  seconds (interpreter start included), steadier than wall time on a shared
  machine. Parts:
  ``warm_start_import_s``, ``_load_s``, ``_warm_s`` (numba loads its cached
  kernels: its first load refreshes numba's registries, which imports
  ``scipy.linalg`` for BLAS, about 0.3 s of it), ``_first_output_s``;
  ``warm_start_imports_sklearn`` must be false: the estimators import
  scikit-learn only to fit (it cost ~1 s of the 1.66 s warm start measured
  before, issue 19). Measured on a loaded 2-core machine (load 2.7):
  import ~0.55 s (numpy 0.22, numba 0.35), warm ~0.7 s, the rest < 0.01 s.
  Before and after that change, interleaved, 5 runs each, under load 11-14
  (/tmp script; CPU seconds of the whole child process): median 4.37 s ->
  1.92 s CPU (wall 19.6 -> 9.7 s at that load); at load 5-6.6, 4.10 -> 1.76 s
  CPU. A whole run at load 6-7: warm_start_s 1.95 (import 0.98, warm 0.95,
  first output 0.015), warm_start_cpu_s 1.57. What remains is numba's and
  scipy's: ``import numba`` (~0.35 s idle) and, at numba's first cached load,
  its registries and ``scipy.linalg`` (which pulls ``numpy.f2py`` through
  scipy's array-API shim); the goal of 1 s is for an idle machine and was not
  shown on the loaded one.
- ``parity_max_abs_diff``: eegmmidb run 14, CSP+LDA decoder, whole recording
  vs random chunks of 1..160 samples.
- ``accuracy_eegmmidb_hands_feet``: CSP+LDA, ShuffleSplit(10, 0.2, 42), as
  ../shared/data/README.md describes; ``accuracy_eegmmidb_bandpower_lda`` beside it.
- ``metabci_*``, ``workbench_csp_*``, ``workbench_online_ms_p50``: MetaBCI's
  CSP and FBCSP beside the workbench on identical epochs, and both online
  paths (benchmarks/metabci_compare.py describes them); ``null`` with a
  ``metabci_missing`` reason when the peer is not installed.
- ``accuracy_eegmmidb_{ts_lr,ts_lr_cv,mdm}`` and ``accuracy_bci4als_{...}``:
  the Riemannian decoders tuned as MOABB runs them (:func:`riemann_pipelines`:
  8-30 Hz, OAS covariances, tangent space at the Riemannian mean + logistic
  regression with C=1.0, or C chosen by an inner 5-fold cross-validation of
  each training split (``_cv``: nested, the test split never chooses it); MDM
  on the same covariances), on the same ShuffleSplit(10, 0.2, 42) splits as
  CSP+LDA. eegmmidb: 1 s windows ending 2 s after the cue, causal 4th-order
  band-pass, no CAR. bci4als: left vs right hand on both recordings (OpenBCI
  16 ch, 125 Hz; 20 trials per class each), 50 Hz notch, 8-30 Hz, CAR (OAS
  keeps the covariances positive definite), 2 s windows from the cue; mean of
  the two; ``accuracy_bci4als_csp_lda`` beside them on the same epochs.
  ``pyriemann_accuracy_*``: pyRiemann's own pipeline (``Covariances('oas')``,
  ``TangentSpace('riemann')``, scikit-learn's ``LogisticRegression`` /
  ``LogisticRegressionCV``; ``MDM('riemann')``) fitted on the same training
  epochs of every split; the predictions are asserted equal and the
  posteriors within 1e-6 first (``pyriemann_max_abs_diff_*``: the largest
  difference, ~1e-13).
- ``ts_lr_online_ms_p50``, ``mdm_online_ms_p50``: their online cost per
  output, measured as ``workbench_online_ms_p50`` (eegmmidb, trained on runs
  6/10, run 14 fed in 23-sample chunks; median of ``OnlineDecoder.update``
  over the chunks that produce an output): one 64 x 64 covariance, one
  (TS) or two (MDM) symmetric eigendecompositions per output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.config import shared_data_dir  # noqa: E402 (after the checkout is on the path)

SHARED_DATA = shared_data_dir(must_exist=False)


def _best_per_call(fn, n_calls, repeats, clock=time.process_time):
    """Best mean seconds per call over ``repeats`` runs.

    By default CPU time of this process (BLAS limited to one thread in main()),
    not wall time: other runs share the 2 cores and would otherwise decide the
    numbers. ``clock=time.perf_counter`` gives the wall time reported beside it.
    """
    best = np.inf
    for _ in range(repeats):
        t0 = clock()
        for i in range(n_calls):
            fn(i)
        best = min(best, (clock() - t0) / n_calls)
    return best


def bandpower_decoder(n_ch, sfreq=2000.0, seconds=12.0, seed=0):
    """A fitted FilterBank+BandPower+LDA decoder on synthetic two-class data."""
    from sklearn.pipeline import make_pipeline

    from workbench.decoding import LDA, BandPower, Decoder, FilterBank

    rng = np.random.default_rng(seed)
    n = int(seconds * sfreq)
    x = rng.standard_normal((n, n_ch))
    t = np.arange(n) / sfreq
    label = (t // 2).astype(int) % 2  # 2 s blocks alternate between classes
    x[:, : n_ch // 4] += (1 + label[:, None]) * np.sin(2 * np.pi * 10 * t)[:, None]
    window, step = int(0.5 * sfreq), int(0.02 * sfreq)
    ends = np.arange(window, n, 5 * step) - 1  # a training window every 0.1 s keeps memory small
    dec = Decoder([FilterBank(((8.0, 12.0), (18.0, 26.0)), sfreq=sfreq, order=4)],
                  make_pipeline(BandPower(), LDA(shrinkage="auto")),
                  sfreq=sfreq, ch_names=[f"ch{i}" for i in range(n_ch)], window=window, step=step)
    return dec.fit([x], [ends], np.array(["rest", "move"])[label[ends]]), x


class ReferenceBandPowerLDA:
    """The same outputs as a careful peer would compute them with scipy and numpy.

    Per chunk (one output step, 20 ms): ``scipy.signal.sosfilt`` per band with
    its ``zi`` state carried over; the chunk's sum of squares per channel (its
    block sum) goes into a ring of block sums and a running sum (add the new
    block, subtract the one leaving the window), so an output costs O(chunk),
    not O(window); the log of the mean power goes through the LDA as one dot
    product and the logistic function. No per-call input validation: the
    peer's own loop knows its shapes. (Issue 14: the earlier reference
    recomputed the mean over the whole window and paid scikit-learn's
    validation on every one-row call.)
    """

    def __init__(self, decoder):
        from scipy.signal import sosfilt

        self._sosfilt = sosfilt
        self.sos = [np.ascontiguousarray(s) for s in decoder.stages[0].sos_]
        n_ch = decoder.n_channels
        self.zi = [np.zeros((s.shape[0], 2, n_ch)) for s in self.sos]
        self.window, self.step = decoder.window, decoder.step
        self.ring = np.zeros((self.window // self.step, len(self.sos) * n_ch))  # block sums
        self.total = np.zeros(len(self.sos) * n_ch)  # running sum of the ring
        self.n_blocks_seen = 0
        m = decoder.model
        if len(m.classes_) != 2:
            raise ValueError("the reference scores two classes")
        self.coef, self.intercept = m.coef_[0].copy(), float(m.intercept_[0])
        self.n_ch = n_ch

    def update(self, chunk):
        """One chunk of exactly ``step`` samples; return its (0 or 1, 2) posteriors."""
        block = np.empty(len(self.total))
        for b, sos in enumerate(self.sos):
            y, self.zi[b] = self._sosfilt(sos, chunk, axis=0, zi=self.zi[b])
            block[b * self.n_ch:(b + 1) * self.n_ch] = np.einsum("tc,tc->c", y, y)
        k = self.n_blocks_seen % len(self.ring)
        self.total += block - self.ring[k]
        self.ring[k] = block
        self.n_blocks_seen += 1
        if self.n_blocks_seen < len(self.ring):
            return np.empty((0, 2))
        d = np.log(self.total / self.window) @ self.coef + self.intercept
        p1 = 1.0 / (1.0 + np.exp(-d))
        return np.array([[1.0 - p1, p1]])


def bench_speedup(n_ch, repeats, seconds=4.0):
    """Per-chunk CPU time of the reference and of the workbench's online decoder, outputs checked equal."""
    dec, x = bandpower_decoder(n_ch)
    chunk = dec.step  # 20 ms at 2 kHz = 40 samples: one output per chunk
    n_chunks = int(seconds * dec.sfreq) // chunk
    chunks = [np.ascontiguousarray(x[i * chunk:(i + 1) * chunk]) for i in range(n_chunks)]
    online, ref = dec.online(), ReferenceBandPowerLDA(dec)
    # equal outputs first (this also warms both paths up)
    ours = np.concatenate([online.update(c).values for c in chunks])
    theirs = np.concatenate([ref.update(c) for c in chunks])
    assert len(ours) == n_chunks - dec.window // chunk + 1
    # The running sum subtracts blocks as they leave, so it differs from the
    # workbench's window sums (two stacks, never decremented) by rounding only.
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    t_wb = _best_per_call(lambda i: online.update(chunks[i]), n_chunks, repeats)
    t_ref = _best_per_call(lambda i: ref.update(chunks[i]), n_chunks, repeats)
    return {"ref_us": t_ref * 1e6, "wb_us": t_wb * 1e6, "speedup": t_ref / t_wb,
            "max_abs_diff": float(np.max(np.abs(ours - theirs)))}


def intracortical_decoder(order, n_ch=1024, sfreq=30000.0):
    """Band-pass 300-5000 Hz, crossings at -4.5 RMS and spike-band power in 20 ms bins, Kalman; fitted on noise."""
    from sklearn.pipeline import make_pipeline

    from workbench.decoding import Decoder, IIRFilter, KalmanDecoder, SpikeFeatures

    rng = np.random.default_rng(1)
    bin_size = int(0.02 * sfreq)
    cal = rng.standard_normal((int(0.6 * sfreq), n_ch)) * 10.0  # microvolt-like noise
    ends = np.arange(bin_size - 1, len(cal), bin_size)
    kin = rng.standard_normal((len(ends), 4)).cumsum(axis=0)
    dec = Decoder([IIRFilter(300.0, 5000.0, sfreq=sfreq, order=order)],
                  make_pipeline(SpikeFeatures(k=4.5), KalmanDecoder()),
                  sfreq=sfreq, ch_names=[f"e{i}" for i in range(n_ch)], window=bin_size, step=bin_size)
    dec.fit([cal], [ends], kin)
    buf = rng.standard_normal((10 * bin_size, n_ch)) * 10.0
    # ten chunks, each its own array (49 MB in all, beyond the 32 MB L3): read from memory, as live
    return dec, [np.ascontiguousarray(buf[i * bin_size:(i + 1) * bin_size]) for i in range(10)]


class ReferenceIntracortical:
    """The intracortical path as a careful peer would write it with scipy and numpy.

    Per 20 ms chunk: ``scipy.signal.sosfilt`` with ``zi`` carried over; a
    crossing is ``(y < thr) & (previous >= thr)`` on whole arrays (the
    previous sample of the chunk's first row carried over), counted with one
    ``sum`` per bin, spike-band power as ``einsum`` of the squares; the Kalman
    step in the information form with numpy (``inv`` of 4x4 matrices, two
    matrix-vector products with the 2048 features). No input validation or
    NaN repair (the peer trusts its amplifier): the workbench does both.
    """

    def __init__(self, decoder):
        from scipy.signal import sosfilt

        self._sosfilt = sosfilt
        self.sos = np.ascontiguousarray(decoder.stages[0].sos_[0])
        n = decoder.n_channels
        self.zi = np.zeros((self.sos.shape[0], 2, n))
        self.thr = decoder.features.thresholds_
        self.prev = np.full(n, -np.inf)
        self.bin = decoder.step
        m = decoder.model
        self.m, self.x, self.p = m, m.x0_.copy(), m.p0_.copy()

    def update(self, chunk):
        """One chunk of a whole number of bins; return the Kalman outputs (n_bins, n_state)."""
        y, self.zi = self._sosfilt(self.sos, chunk, axis=0, zi=self.zi)
        below = y < self.thr
        above = ~below
        cross = np.empty_like(below)
        cross[0] = below[0] & (self.prev >= self.thr)
        np.logical_and(below[1:], above[:-1], out=cross[1:])
        self.prev = y[-1].copy()
        nb = len(y) // self.bin
        counts = cross.reshape(nb, self.bin, -1).sum(axis=1, dtype=np.float64)
        yb = y.reshape(nb, self.bin, -1)
        power = np.einsum("btc,btc->bc", yb, yb) / self.bin
        m, out = self.m, np.empty((nb, len(self.x)))
        for i, z in enumerate(np.hstack([counts, power])):
            xp = m.a_ @ self.x + m.state_intercept_
            pp = m.a_ @ self.p @ m.a_.T + m.w_
            post = np.linalg.inv(np.linalg.inv(pp) + m.ht_qinv_h_)
            self.x = xp + post @ (m.ht_qinv_ @ (z - m.h_ @ xp - m.obs_intercept_))
            self.p = post
            out[i] = self.x
        return out


def bench_intracortical(order, repeats):
    """Seconds of signal per CPU second: fused, stage by stage, the reference, and one read of the chunks."""
    dec, chunks = intracortical_decoder(order)
    n = len(chunks)
    fused, staged, ref = dec.online(), dec.online(fused=False), ReferenceIntracortical(dec)
    # outputs first (this also warms every path up): fused and staged bit for bit, the reference within rounding
    a = np.concatenate([fused.update(c).values for c in chunks])
    b = np.concatenate([staged.update(c).values for c in chunks])
    r = np.concatenate([ref.update(c) for c in chunks])
    assert len(a) == n and fused._spikes is not None
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, r, rtol=1e-7, atol=1e-9)  # sosfilt's arithmetic order differs from FMAs
    out = {"max_abs_diff": float(np.max(np.abs(a - r)))}
    for name, fn in (("fused", lambda i: fused.update(chunks[i % n])),
                     ("staged", lambda i: staged.update(chunks[i % n])),
                     ("reference", lambda i: ref.update(chunks[i % n])),
                     ("memory", lambda i: read_and_sum(chunks[i % n]))):
        calls = 100 if name != "reference" else 30
        out[name] = 0.02 / _best_per_call(fn, calls, repeats)
    out["fused_wall"] = 0.02 / _best_per_call(lambda i: fused.update(chunks[i % n]), 100, repeats,
                                              clock=time.perf_counter)
    return out


def read_and_sum(x):
    """One plain pass over a chunk (the physical floor of any pass that reads it)."""
    return _sum_kernel()(x)


_SUM = []


def _sum_kernel():
    if not _SUM:
        import numba

        @numba.njit(nogil=True, cache=False)
        def total(x):
            # one accumulator per channel: the loop vectorises without reordering any sum
            acc = np.zeros(x.shape[1])
            for t in range(x.shape[0]):
                row = x[t]
                for c in range(x.shape[1]):
                    acc[c] += row[c]
            return acc.sum()

        _SUM.append(total)
    return _SUM[0]


STARTUP = """
import sys
import time
t0 = time.perf_counter()
import numpy as np
from workbench.decoding import load_decoder
t1 = time.perf_counter()
online = load_decoder({fname!r}).online()
t2 = time.perf_counter()
online.warm({n_chunk})  # as run_block does before any stream opens
t3 = time.perf_counter()
out = online.update(np.load({chunk!r}))
t4 = time.perf_counter()
assert len(out) == 1
print(t4 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3, int("sklearn" in sys.modules))
"""


def bench_startup():
    """A fresh process doing what a session does with a saved decoder, on an empty then a populated numba cache."""
    dec, x = bandpower_decoder(64, seconds=4.0)
    with tempfile.TemporaryDirectory() as tmp:
        fname = dec.save(Path(tmp) / "decoder.npz")
        np.save(Path(tmp) / "chunk.npy", x[: dec.window])
        code = STARTUP.format(fname=str(fname), chunk=str(Path(tmp) / "chunk.npy"), n_chunk=dec.step)
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "numba_cache"), "OPENBLAS_NUM_THREADS": "1"}
        times, cpu = [], []
        for _ in range(2):  # first: empty cache (cold); second: the cache it left (warm)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                 timeout=600, cwd=str(REPO))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if res.returncode:
                raise RuntimeError(res.stderr)
            times.append([float(v) for v in res.stdout.strip().splitlines()[-1].split()])
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    warm = times[1]
    return {"cold_start_s": times[0][0], "warm_start_s": warm[0], "warm_start_cpu_s": cpu[1],
            "warm_start_import_s": warm[1],
            "warm_start_load_s": warm[2], "warm_start_warm_s": warm[3], "warm_start_first_output_s": warm[4],
            "warm_start_imports_sklearn": bool(warm[5])}


def bench_eegmmidb(seed=0):
    from sklearn.model_selection import ShuffleSplit, cross_val_score
    from sklearn.pipeline import make_pipeline

    from workbench.decoding import (
        CSP, LDA, BandPower, CommonAverageReference, Decoder, FilterBank, IIRFilter, decode_in_chunks,
    )
    from workbench.recording.labelled import read_eegmmidb_run

    runs = [read_eegmmidb_run(SHARED_DATA / "eegmmidb", 1, r) for r in (6, 10, 14)]
    sf = runs[0].sfreq
    ends = [r.onsets + int(2 * sf) for r in runs]
    y = np.concatenate([r.labels for r in runs])
    cv = ShuffleSplit(10, test_size=0.2, random_state=42)
    csp = Decoder([IIRFilter(7.0, 30.0, sfreq=sf, order=4), CommonAverageReference()],
                  make_pipeline(CSP(4), LDA()), sfreq=sf, ch_names=runs[0].ch_names, window=161, step=23)
    acc = cross_val_score(make_pipeline(CSP(4), LDA()), csp.epochs([r.data for r in runs], ends), y, cv=cv)
    bp = Decoder([FilterBank(((8, 12), (12, 16), (16, 20), (20, 24), (24, 30)), sfreq=sf), CommonAverageReference()],
                 make_pipeline(BandPower(), LDA(shrinkage="auto")), sfreq=sf, ch_names=runs[0].ch_names,
                 window=161, step=23)
    acc_bp = cross_val_score(make_pipeline(BandPower(), LDA(shrinkage="auto")),
                             bp.epochs([r.data for r in runs], ends), y, cv=cv)
    csp.fit([r.data for r in runs[:2]], ends[:2], np.concatenate([r.labels for r in runs[:2]]))
    whole = csp.decode(runs[2].data)
    sizes = np.random.default_rng(seed).integers(1, int(sf) + 1, size=500)
    chunked = decode_in_chunks(csp, runs[2].data, sizes)
    assert np.array_equal(whole.sample_index, chunked.sample_index)
    return {"accuracy_eegmmidb_hands_feet": float(acc.mean()),
            "accuracy_eegmmidb_bandpower_lda": float(acc_bp.mean()),
            "parity_max_abs_diff": float(np.max(np.abs(whole.values - chunked.values)))}


def riemann_pipelines(estimator="oas"):
    """Each Riemannian decoder as the workbench runs it and as pyRiemann's own pipeline, by key.

    MOABB's settings (pipelines/TSLR.yml, MDM.yml): OAS covariances, tangent
    space at the Riemannian mean, logistic regression with C=1.0; ``ts_lr_cv``
    chooses C from ``C_GRID`` by a stratified 5-fold cross-validation of the
    training split (nested: the test split never chooses it); MDM on the same
    covariances.
    """
    from pyriemann.classification import MDM as PyrMDM
    from pyriemann.estimation import Covariances as PyrCovariances
    from pyriemann.tangentspace import TangentSpace as PyrTangentSpace
    from sklearn.linear_model import LogisticRegression as SkLR, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline

    from workbench.decoding import MDM, Covariances, LogisticRegression, TangentSpace
    from workbench.decoding.riemann import C_GRID

    def cov():
        return PyrCovariances(estimator)

    return {
        "ts_lr": (lambda: [TangentSpace(estimator), LogisticRegression(C=1.0)],
                  lambda: make_pipeline(cov(), PyrTangentSpace(metric="riemann"), SkLR(C=1.0, max_iter=1000))),
        "ts_lr_cv": (lambda: [TangentSpace(estimator), LogisticRegression(C="cv")],
                     lambda: make_pipeline(cov(), PyrTangentSpace(metric="riemann"),
                                           LogisticRegressionCV(Cs=list(C_GRID), cv=StratifiedKFold(5), max_iter=1000,
                                                                l1_ratios=(0.0,), scoring="accuracy",
                                                                use_legacy_attributes=False))),
        "mdm": (lambda: [Covariances(estimator), MDM()], lambda: make_pipeline(cov(), PyrMDM(metric="riemann"))),
    }


def compare_with_pyriemann(X, y, cv):
    """Accuracy of each Riemannian decoder and of pyRiemann's pipeline on the same splits.

    On every split both are fitted on the same training epochs; their test
    predictions are asserted equal and their posteriors equal within 1e-6
    (the largest difference is returned).
    """
    from sklearn.pipeline import make_pipeline

    acc, peer_acc, diff = {}, {}, 0.0
    for kind, (ours, theirs) in riemann_pipelines().items():
        a, b = [], []
        for train, test in cv.split(X, y):
            mine = make_pipeline(*ours()).fit(X[train], y[train])
            peer = theirs().fit(X[train], y[train])
            p_mine, p_peer = mine.predict_proba(X[test]), peer.predict_proba(X[test])
            np.testing.assert_array_equal(mine.predict(X[test]), peer.predict(X[test]))
            np.testing.assert_allclose(p_mine, p_peer, rtol=0, atol=1e-6)
            diff = max(diff, float(np.max(np.abs(p_mine - p_peer))))
            a.append(np.mean(mine.predict(X[test]) == y[test]))
            b.append(np.mean(peer.predict(X[test]) == y[test]))
        acc[kind], peer_acc[kind] = float(np.mean(a)), float(np.mean(b))
    return acc, peer_acc, diff


def bench_riemann():
    """Tuned Riemannian decoders beside CSP+LDA and pyRiemann (eegmmidb, bci4als), and their online cost."""
    from metabci_compare import online_ms_p50  # benchmarks/ is this script's folder
    from sklearn.model_selection import ShuffleSplit, cross_val_score
    from sklearn.pipeline import make_pipeline

    from workbench.decoding import CSP, LDA, CommonAverageReference, Decoder, IIRFilter, NotchFilter
    from workbench.recording.labelled import read_bci4als_xdf, read_eegmmidb_run

    cv = ShuffleSplit(10, test_size=0.2, random_state=42)
    res = {}
    runs = [read_eegmmidb_run(SHARED_DATA / "eegmmidb", 1, r) for r in (6, 10, 14)]
    sf, names = runs[0].sfreq, runs[0].ch_names
    ends = [r.onsets + int(2 * sf) for r in runs]
    y = np.concatenate([r.labels for r in runs])
    pipes = riemann_pipelines()
    prep = Decoder([IIRFilter(8.0, 30.0, sfreq=sf, order=4)], pipes["ts_lr"][0](), sfreq=sf, ch_names=names,
                   window=161, step=23)
    acc, peer, diff = compare_with_pyriemann(prep.epochs([r.data for r in runs], ends), y, cv)
    for kind in pipes:
        res[f"accuracy_eegmmidb_{kind}"] = acc[kind]
        res[f"pyriemann_accuracy_eegmmidb_{kind}"] = peer[kind]
    res["pyriemann_max_abs_diff_eegmmidb"] = diff
    for kind in ("ts_lr", "mdm"):  # online cost per output: trained on runs 6/10, run 14 in 23-sample chunks
        dec = Decoder([IIRFilter(8.0, 30.0, sfreq=sf, order=4)], pipes[kind][0](), sfreq=sf, ch_names=names,
                      window=161, step=23)
        dec.fit([r.data for r in runs[:2]], ends[:2], np.concatenate([r.labels for r in runs[:2]]))
        res[f"{kind}_online_ms_p50"] = online_ms_p50(dec, runs[2].data, 23)
    mine, theirs, csp, diffs = {k: [] for k in pipes}, {k: [] for k in pipes}, [], []
    for sub in ("Sub2011001", "Sub2111001"):
        x = read_bci4als_xdf(SHARED_DATA / "bci4als" / sub / "EEG.xdf")
        lr = np.isin(x.labels, ["left", "right"])
        win = int(round(2 * x.sfreq))
        prep = Decoder([NotchFilter((50.0,), sfreq=x.sfreq, initial="steady"),
                        IIRFilter(8.0, 30.0, sfreq=x.sfreq, initial="steady"), CommonAverageReference()],
                       [CSP(4), LDA()], sfreq=x.sfreq, ch_names=x.ch_names, window=win, step=25)
        X, yx = prep.epochs([x.data], [x.onsets[lr] + win - 1]), x.labels[lr]
        csp.append(float(cross_val_score(make_pipeline(CSP(4), LDA()), X, yx, cv=cv).mean()))
        acc, peer, diff = compare_with_pyriemann(X, yx, cv)
        diffs.append(diff)
        for kind in pipes:
            mine[kind].append(acc[kind])
            theirs[kind].append(peer[kind])
    res["accuracy_bci4als_csp_lda"] = float(np.mean(csp))
    for kind in pipes:
        res[f"accuracy_bci4als_{kind}"] = float(np.mean(mine[kind]))
        res[f"pyriemann_accuracy_bci4als_{kind}"] = float(np.mean(theirs[kind]))
    res["pyriemann_max_abs_diff_bci4als"] = max(diffs)
    return res


PARTS = ("startup", "bandpower", "intracortical", "accuracy", "riemann")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats (best is kept)")
    parser.add_argument("--ic-order", type=int, default=4, help="Butterworth order of the 300-5000 Hz band-pass")
    parser.add_argument("--only", default=",".join(PARTS), metavar="PART[,PART]",
                        help=f"run only these parts (default: all of {', '.join(PARTS)})")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        parser.error(f"--only: {', '.join(unknown) or 'nothing'} is not a part; allowed: {', '.join(PARTS)}")
    from threadpoolctl import threadpool_limits

    # One core for both sides: BLAS threads would otherwise compete with the
    # other processes on this 2-core machine and blur the ratios.
    threadpool_limits(1)
    res = {}
    if "startup" in parts:
        res.update(bench_startup())  # first, before this process has warmed anything
    if "bandpower" in parts:
        for n_ch in (64, 256, 1024):
            r = bench_speedup(n_ch, args.repeats)
            res[f"speedup_{n_ch}ch"] = r["speedup"]
            res[f"reference_us_per_chunk_{n_ch}ch"] = r["ref_us"]
            res[f"workbench_us_per_chunk_{n_ch}ch"] = r["wb_us"]
            res[f"reference_max_abs_diff_{n_ch}ch"] = r["max_abs_diff"]
    if "intracortical" in parts:
        ic = bench_intracortical(args.ic_order, args.repeats)
        res["intracortical_realtime_factor"] = ic["fused"]
        res["intracortical_realtime_factor_wall"] = ic["fused_wall"]
        if args.ic_order != 2:  # a 2nd-order Butterworth band-pass (2 sections), for comparison
            res["intracortical_realtime_factor_order2"] = bench_intracortical(2, args.repeats)["fused"]
        res["intracortical_realtime_factor_unfused"] = ic["staged"]
        res["intracortical_memory_limit_factor"] = ic["memory"]
        res["intracortical_fraction_of_memory_limit"] = ic["fused"] / ic["memory"]
        res["reference_intracortical_realtime_factor"] = ic["reference"]
        res["speedup_intracortical"] = ic["fused"] / ic["reference"]
        res["reference_max_abs_diff_intracortical"] = ic["max_abs_diff"]
        res["intracortical_filter_order"] = args.ic_order
    if "accuracy" in parts:
        res.update(bench_eegmmidb())
        from metabci_compare import compare  # benchmarks/ is this script's folder

        res.update(compare())  # MetaBCI side by side: null figures and metabci_missing without the peer
    if "riemann" in parts:
        res.update(bench_riemann())  # Riemannian decoders beside CSP+LDA (eegmmidb, bci4als) and their online cost
    goals = {"speedup_64ch": ">= 5", "speedup_256ch": ">= 5", "speedup_1024ch": ">= 5", "intracortical_realtime_factor": ">= 25",
             "warm_start_s": "< 1", "accuracy_eegmmidb_hands_feet": ">= 0.93", "parity_max_abs_diff": "<= 1e-9"}
    lines = [f"{'measure':40s} {'value':>14s}  goal", "-" * 64]
    for k, v in res.items():
        shown = f"{v:14.6g}" if isinstance(v, (int, float)) else f"{str(v):>14s}"
        lines.append(f"{k:40s} {shown}  {goals.get(k, '')}")
    table = "\n".join(lines)
    if args.json:
        print(table, file=sys.stderr)
        print(json.dumps(res))
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
