"""check_counter: samples lost or repeated, counted in samples, with wrap-around."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.acquisition import CounterCheck, check_counter
from workbench.errors import ValidationError
from tests.budget import examples


def naive_check(values, modulus=None):
    """Obvious version: unwrap step by step, then tally every index in a dict."""
    values = [int(v) for v in values]
    if not values:
        return 0, 0, 0
    unwrapped = [values[0]]
    breaks = 0
    for prev, cur in zip(values, values[1:]):
        step = cur - prev
        if modulus is not None:
            while step >= modulus / 2:
                step -= modulus
            while step < -modulus / 2:
                step += modulus
        if step != 1:
            breaks += 1
        unwrapped.append(unwrapped[-1] + step)
    seen = {}
    for v in unwrapped:
        seen[v] = seen.get(v, 0) + 1
    lost = sum(1 for v in range(min(unwrapped), max(unwrapped) + 1) if v not in seen)
    repeated = sum(c - 1 for c in seen.values())
    return lost, repeated, breaks


def as_tuple(check: CounterCheck):
    return check.n_lost, check.n_repeated, check.n_breaks


# -------------------------------------------------------------- examples


def test_a_dropped_chunk_is_its_samples_lost_and_one_break():
    values = np.r_[np.arange(0, 100), np.arange(140, 200)].astype(np.float64)
    check = check_counter(values)
    assert (check.n_samples, check.n_lost, check.n_repeated, check.n_breaks) == (160, 40, 0, 1)
    assert not check.ok
    assert (check.first, check.last) == (0, 199)
    assert "40 lost" in str(check)


def test_a_repeated_chunk_is_its_samples_repeated_and_nothing_lost():
    values = np.r_[np.arange(0, 100), np.arange(80, 200)]
    check = check_counter(values)
    assert (check.n_lost, check.n_repeated, check.n_breaks) == (0, 20, 1)


def test_a_perfect_counter_from_any_start_is_ok():
    check = check_counter(np.arange(12345, 20000, dtype=np.float64))
    assert check.ok and check.n_breaks == 0 and check.n_samples == 20000 - 12345


def test_brainflow_style_package_counter_wraps_at_256():
    values = np.arange(1000) % 256
    assert check_counter(values, modulus=256).ok
    # without the modulus the wrap reads as repeats: the caller must say it wraps
    assert not check_counter(values).ok
    dropped = np.delete(values, np.arange(250, 262))  # a loss across the wrap
    check = check_counter(dropped, modulus=256)
    assert (check.n_lost, check.n_repeated, check.n_breaks) == (12, 0, 1)


def test_empty_and_single_value():
    assert check_counter([]) == CounterCheck(0, 0, 0, 0)
    assert check_counter([7.0]).ok


def test_bad_input_lists_every_problem():
    with pytest.raises(ValidationError) as err:
        check_counter([0.0, 1.5, np.nan], modulus=1)
    assert err.value.fields == ("modulus", "counter values")
    with pytest.raises(ValidationError, match="one dimension"):
        check_counter(np.zeros((3, 2)))
    with pytest.raises(ValidationError, match="0 to 255"):
        check_counter([0, 256], modulus=256)
    with pytest.raises(ValidationError, match="whole-number"):
        check_counter(["a", "b"])


# -------------------------------------------------------------- properties

starts = st.integers(min_value=0, max_value=2**40)


@settings(max_examples=examples(200), deadline=None)
@given(start=starts, n=st.integers(3, 400), data=st.data())
def test_dropping_k_interior_samples_loses_exactly_k(start, n, data):
    perfect = np.arange(start, start + n, dtype=np.float64)
    drop = data.draw(st.sets(st.integers(1, n - 2), max_size=n - 2))  # first and last stay: a loss at an edge is invisible
    check = check_counter(np.delete(perfect, sorted(drop)))
    assert check.n_lost == len(drop)
    assert check.n_repeated == 0
    assert check.ok == (not drop)


@settings(max_examples=examples(200), deadline=None)
@given(start=starts, n=st.integers(1, 400), data=st.data())
def test_inserting_k_copies_anywhere_repeats_exactly_k(start, n, data):
    values = list(range(start, start + n))
    k = data.draw(st.integers(0, 30))
    for _ in range(k):
        value = data.draw(st.sampled_from(values[:n]))
        values.insert(data.draw(st.integers(0, len(values))), value)
    check = check_counter(values)
    assert check.n_repeated == k
    assert check.n_lost == 0


@settings(max_examples=examples(200), deadline=None)
@given(modulus=st.integers(8, 1024), start=st.integers(0, 10_000), n=st.integers(3, 3000), data=st.data())
def test_wrapping_counter_counts_losses_shorter_than_half_the_period(modulus, start, n, data):
    index = np.arange(start, start + n)
    keep = np.ones(n, bool)
    # drop runs shorter than modulus/2 with kept samples between them
    pos = 1
    while pos < n - 1:
        run = data.draw(st.integers(0, max(0, modulus // 2 - 2)))
        keep[pos : min(pos + run, n - 1)] = False
        pos += run + 1 + data.draw(st.integers(0, 20))
    check = check_counter(index[keep] % modulus, modulus=modulus)
    assert check.n_lost == int(np.count_nonzero(~keep))
    assert check.n_repeated == 0
    assert check.last - check.first == n - 1


@settings(max_examples=examples(300), deadline=None)
@given(values=st.lists(st.integers(0, 60), max_size=80), wrap=st.booleans())
def test_matches_the_naive_reference_on_any_sequence(values, wrap):
    modulus = 61 if wrap else None
    assert as_tuple(check_counter(np.array(values, dtype=np.int64), modulus=modulus)) == naive_check(values, modulus)


def naive_breaks_over_stretches(chunks):
    """The whole check at the end: each stretch between known losses (None) concatenated, its steps != 1."""
    stretches, cur = [], []
    for c in chunks:
        if c is None:
            stretches.append(cur)
            cur = []
        else:
            cur += [int(v) for v in c]
    stretches.append(cur)
    if not any(stretches):
        return None
    return sum(sum(b - a != 1 for a, b in zip(s, s[1:])) for s in stretches)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.integers(0, 40), max_size=6)), max_size=25))
def test_running_counter_breaks_equal_the_check_of_everything_at_the_end(chunks):
    from workbench.acquisition import CounterBreaks

    running = CounterBreaks()
    for c in chunks:
        if c is None:
            running.restart()
        else:
            running.add(np.asarray(c, dtype=np.float64))  # the Player sends the counter as float64
    assert running.result == naive_breaks_over_stretches(chunks)


def test_running_counter_breaks_count_a_lost_chunk_once():
    from workbench.acquisition import CounterBreaks

    running = CounterBreaks()
    for start in range(0, 2_000_000, 500):
        if start != 100_000:  # one chunk of 500 samples lost
            running.add(np.arange(start, start + 500))
    assert running.result == 1 and running.n_samples == 2_000_000 - 500
