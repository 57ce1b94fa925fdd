"""Windowed power, log-variance and exponential smoothing against naive versions."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tests import naive
from workbench.decoding.kernels import ema_power, window_logvar, window_power
from workbench.decoding.kernels.power import window_power_columns
from tests.budget import examples

RNG = np.random.default_rng(11)
X = RNG.standard_normal((503, 4)) * np.array([1.0, 2.0, 1e-5, 50.0])


def _window_power(x, window, step, log, chunks):
    return _window_power_pieces(np.array_split(x, chunks), window, step, log)


def _window_power_pieces(pieces, window, step, log):
    n_ch = pieces[0].shape[1]
    acc, blocks, newer = np.zeros(n_ch), np.zeros((window // step, n_ch)), np.zeros(n_ch)
    counter = np.zeros(1, np.int64)
    rows = []
    for c in pieces:
        out = np.empty((len(c) // step + 1, n_ch))
        n = window_power(np.ascontiguousarray(c), step, acc, blocks, newer, counter, log, out)
        rows.append(out[:n])
    return np.concatenate(rows)


@pytest.mark.parametrize("window,step,log", [(40, 10, True), (40, 40, False), (7, 1, True), (161, 23, True)])
@pytest.mark.parametrize("chunks", [1, 9, 503])
def test_window_power_matches_naive(window, step, log, chunks):
    got = _window_power(X, window, step, log, chunks)
    ref = naive.window_power(X, window, step, log)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=0)


def test_window_power_columns_is_window_power_on_those_columns():
    """The fused kernel's per-tile call: columns 1..2 of the state and output,
    fed from a 2-column buffer, give window_power's bits for those columns."""
    window, step = 40, 10
    whole = _window_power(X, window, step, True, 9)
    acc, blocks, newer = np.zeros(4), np.zeros((window // step, 4)), np.zeros(4)
    out, rows, n0 = np.full((X.shape[0] // step + 1, 4), -1.0), [], 0
    for c in np.array_split(X, 9):
        buf = np.zeros((len(c), 3))  # wider than the 2 columns used, as a tile buffer
        buf[:, :2] = c[:, 1:3]
        n = window_power_columns(buf, 2, 1, step, acc, blocks, newer, n0, True, out)
        rows.append(out[:n, 1:3].copy())
        assert np.all(out[:n, [0, 3]] == -1.0)  # other columns untouched
        n0 += len(c)
    np.testing.assert_array_equal(np.concatenate(rows), whole[:, 1:3])
    np.testing.assert_allclose(np.concatenate(rows), naive.window_power(X, window, step)[:, 1:3], rtol=1e-12)
    assert np.all(acc[[0, 3]] == 0) and np.all(blocks[:, [0, 3]] == 0) and np.all(newer[[0, 3]] == 0)


def test_window_power_does_not_drift_after_a_huge_artefact():
    # A running sum that adds and subtracts would keep rounding error of
    # the order of eps * 1e12 here and report a negative or wrong power.
    x = RNG.standard_normal((400, 2)) * 1e-6
    x[50] = 1e6
    got = _window_power(x, 40, 10, False, 7)
    ref = naive.window_power(x, 40, 10, False)
    np.testing.assert_allclose(got[-20:], ref[-20:], rtol=1e-12)
    assert np.all(got > 0)


@pytest.mark.parametrize("window,step", [(40, 10), (33, 5), (10, 1)])
def test_window_logvar_matches_naive(window, step):
    ring, counter = np.zeros((window, 4)), np.zeros(1, np.int64)
    rows = []
    for c in np.array_split(X, 13):
        out = np.empty((len(c) // step + 1, 4))
        n = window_logvar(np.ascontiguousarray(c), step, ring, counter, out)
        rows.append(out[:n])
    got = np.concatenate(rows)
    np.testing.assert_allclose(got, naive.window_logvar(X, window, step), rtol=1e-10)


def test_ema_power_matches_naive_and_continues_across_chunks():
    state = np.zeros(4)
    a = ema_power(X[:200], 0.05, state, True, np.empty((200, 4)))
    b = ema_power(X[200:], 0.05, state, True, np.empty((303, 4)))
    np.testing.assert_allclose(np.vstack([a, b]), naive.ema_power(X, 0.05, log=True), rtol=0, atol=1e-10)


@given(window_step=st.sampled_from([(40, 10), (12, 3), (7, 7), (30, 1), (161, 23)]),
       cuts=st.lists(st.integers(1, 120), min_size=1, max_size=12))
@settings(max_examples=examples(40), deadline=None)
def test_window_power_any_chunking_gives_the_two_stack_bits(window_step, cuts):
    """However the recording is cut into chunks, every output is the same
    two-stack sum of block sums to the last bit (tests/naive.py spells out the order)."""
    window, step = window_step
    bounds = np.cumsum(cuts)
    pieces = np.split(X[:, :3], bounds[bounds < len(X)])
    got = _window_power_pieces(pieces, window, step, False)
    np.testing.assert_array_equal(got, naive.window_power_two_stacks(X[:, :3], window, step))
    np.testing.assert_array_equal(_window_power_pieces(pieces, window, step, True),
                                  _window_power(X[:, :3], window, step, True, 1))
