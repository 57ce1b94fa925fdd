"""Learning where a source's chunks end from when its pulls arrived, and moving a decoder's outputs there."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbench.acquisition.chunk_phase import MIN_VOTES, chunk_end_phase, samples_to_align
from workbench.errors import ValidationError


def pulls_to_arrivals(pull_lengths, t0=100.0):
    """One arrival time per pull, repeated for its samples (as the ring buffer stores them)."""
    return np.repeat(t0 + 0.001 * np.arange(len(pull_lengths)), pull_lengths)


@settings(max_examples=300, deadline=None)
@given(chunk=st.integers(1, 40), per_step=st.integers(1, 10), shift=st.integers(0, 39), first=st.integers(0, 10**7),
       n_chunks=st.integers(30, 300), data=st.data())
def test_the_phase_is_a_chunk_end_whatever_split_pulls_there_are_if_most_pulls_end_with_a_chunk(
        chunk, per_step, shift, first, n_chunks, data):
    step = chunk * per_step
    head = shift % chunk  # the history starts inside a chunk: its first pull is the tail of one
    lengths = [head] if head else []
    lengths += [chunk] * n_chunks
    # Pulls that caught a chunk half received (split in two) and pulls that took two chunks at once: fewer
    # than the chunk ends of one output step, however hypothesis places them.
    n_odd = data.draw(st.integers(0, max(0, n_chunks // per_step - 2)), label="odd pulls")
    odd = data.draw(st.lists(st.integers(1 if head else 0, len(lengths) - 2), min_size=n_odd, max_size=n_odd,
                             unique=True), label="which")
    pulls = []
    merge_next = False
    for j, n in enumerate(lengths):
        if merge_next:
            pulls[-1] += n
            merge_next = False
        elif j in odd and n > 1 and data.draw(st.booleans(), label=f"split {j}"):
            cut = data.draw(st.integers(1, n - 1), label=f"cut {j}")
            pulls += [cut, n - cut]
        else:
            pulls.append(n)
            merge_next = j in odd
    arrivals = pulls_to_arrivals(pulls)
    assume(len(pulls) > 1)
    phase = chunk_end_phase(arrivals, first, step)
    # Chunk ends: the absolute index of each chunk's last sample.
    ends = first + head + chunk * np.arange(1, n_chunks + 1) - 1
    assert phase is not None and 0 <= phase < step
    assert (phase - ends[0]) % chunk == 0


def test_overwritten_samples_are_ignored_and_too_little_history_gives_no_phase():
    arrivals = pulls_to_arrivals([8] * 10)
    arrivals[:5] = np.nan  # no longer held
    phase = chunk_end_phase(arrivals, 1000, 16)  # 5 pull ends vote for each chunk end of a step
    assert phase is not None and (phase - (1000 + 8 * 10 - 1)) % 8 == 0
    assert chunk_end_phase(np.full(16, np.nan), 0, 40) is None
    assert chunk_end_phase(pulls_to_arrivals([8] * (MIN_VOTES - 1)), 0, 8) is None
    assert chunk_end_phase(pulls_to_arrivals([8] * MIN_VOTES), 0, 8) == 7


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
