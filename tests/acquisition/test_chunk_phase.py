"""Learning where a source's chunks end from when its pulls arrived, and moving a decoder's outputs there."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbench.acquisition.chunk_phase import MIN_VOTES, chunk_end_phase, samples_to_align
from workbench.errors import ValidationError


def pulls_to_arrivals(pull_lengths, t0=100.0):
    """One arrival time per pull, 1 ms apart, repeated for its samples (as the ring buffer stores them)."""
    return np.repeat(t0 + 0.001 * np.arange(len(pull_lengths)), pull_lengths)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(chunk=st.integers(1, 40), per_step=st.integers(1, 10), shift=st.integers(0, 39), first=st.integers(0, 10**7),
       data=st.data())
def test_the_phase_is_a_chunk_end_however_the_pulls_split_or_merge_the_chunks(chunk, per_step, shift, first, data):
    step = chunk * per_step
    n_chunks = data.draw(st.integers(5 * per_step, 300), label="chunks")
    period = 0.004  # the source sends a chunk every 4 ms, give or take a quarter
    head = shift % chunk  # the history starts inside a chunk: its first pull is the tail of one
    # Per chunk: pulled whole; in two pulls (a thread that pulled while the rest was on its way: any cut,
    # the same one every time if hypothesis likes, the rest within a millisecond); or together with the next
    # one (the thread was late), at most once per two steps' worth of chunks.
    n_merge = data.draw(st.integers(0, n_chunks // (2 * per_step)), label="merges")
    merged = set(data.draw(st.lists(st.integers(0, n_chunks - 2), max_size=n_merge, unique=True), label="which"))
    cut = data.draw(st.one_of(st.none(), st.integers(1, 39)), label="one cut for every chunk")
    pulls = [(head, 100.0 - period)] if head else []  # (samples, arrival)
    pending = 0
    for j in range(n_chunks):
        t = 100.0 + j * period + data.draw(st.floats(0, period / 4), label=f"jitter {j}")
        if j in merged:
            pending += chunk
            continue
        c = cut if cut is not None else data.draw(st.integers(0, chunk - 1), label=f"cut {j}")
        if 0 < c < chunk and pending == 0:
            pulls += [(c, t), (chunk - c, t + data.draw(st.floats(1e-6, period / 8), label=f"rest {j}"))]
        else:
            pulls.append((pending + chunk, t))
        pending = 0
    arrivals = np.repeat([a for _, a in pulls], [n for n, _ in pulls])
    phase = chunk_end_phase(arrivals, first, step)
    # Chunk ends: the absolute index of each chunk's last sample.
    ends = first + head + chunk * np.arange(1, n_chunks + 1) - 1
    assert phase is not None and 0 <= phase < step
    assert (phase - ends[0]) % chunk == 0


def test_a_thread_woken_by_each_chunks_first_sample_does_not_move_the_phase_there():
    """Every chunk of 8 arrives as 1 sample, then 7 a few microseconds later: as many pull ends at chunk
    starts as at chunk ends, but only the ends are followed by a wait."""
    pulls, times = [], []
    for j in range(50):
        pulls += [1, 7]
        times += [100.0 + 0.004 * j, 100.0 + 0.004 * j + 20e-6]
    arrivals = np.repeat(times, pulls)
    assert chunk_end_phase(arrivals, 0, 8) == 7
    assert chunk_end_phase(arrivals, 0, 40) % 8 == 7


def test_overwritten_samples_are_ignored_and_too_little_history_gives_no_phase():
    arrivals = pulls_to_arrivals([8] * 10)
    arrivals[:5] = np.nan  # no longer held
    phase = chunk_end_phase(arrivals, 1000, 16)  # 5 pull ends vote for each chunk end of a step
    assert phase is not None and (phase - (1000 + 8 * 10 - 1)) % 8 == 0
    assert chunk_end_phase(np.full(16, np.nan), 0, 40) is None
    # The newest pull's wait is not over: it does not vote.
    assert chunk_end_phase(pulls_to_arrivals([8] * MIN_VOTES), 0, 8) is None
    assert chunk_end_phase(pulls_to_arrivals([8] * (MIN_VOTES + 1)), 0, 8) == 7


@pytest.mark.parametrize("step", [0, -3, 2.5, True, "8"])
def test_a_step_that_is_not_a_whole_number_of_samples_is_refused_naming_it(step):
    with pytest.raises(ValidationError, match="step"):
        chunk_end_phase(np.zeros(4), 0, step)


@settings(max_examples=500, deadline=None)
@given(step=st.integers(1, 500), phase=st.integers(0, 499), next_index=st.integers(0, 10**9),
       n_seen=st.integers(0, 10**6))
def test_withholding_moves_every_later_output_onto_the_phase(step, phase, next_index, n_seen):
    phase %= step
    k = samples_to_align(phase, step, next_index, n_seen)
    assert 0 <= k < step
    # The decoder outputs at sample counts c (1-based, from its first sample) with c % step == 0; after
    # withholding k samples its count n_seen + 1 is absolute sample next_index + k.
    counts = np.arange(n_seen + 1, n_seen + 3 * step + 1)
    absolute = next_index + k + (counts - n_seen - 1)
    out = absolute[counts % step == 0]
    assert len(out) >= 2 and np.all(out % step == phase)
    assert samples_to_align(None, step, next_index, n_seen) == 0
