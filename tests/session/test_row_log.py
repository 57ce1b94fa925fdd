"""RowLog: the closed loop's per-output log reads back exactly what was appended, in little memory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.session import row_log
from workbench.session.row_log import output_log, timing_log
from tests.budget import examples

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
output_rows = st.tuples(finite, finite, st.sampled_from(["rest", "grasp", "open", ""]), st.floats(width=64),
                        st.booleans(), finite, st.sampled_from(["v1", "grasp-v2", ""]))


def same(a, b):
    return all(x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)) for x, y in zip(a, b)) \
        and len(a) == len(b)


@settings(max_examples=examples(60), deadline=None)
@given(rows=st.lists(output_rows, max_size=40), block_rows=st.integers(1, 7))
def test_rows_read_back_as_appended_across_blocks(rows, block_rows):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(row_log, "BLOCK_ROWS", block_rows)  # many block boundaries in a few rows
        log = output_log()
        for r in rows:
            log.append(r)
        assert len(log) == len(rows) and bool(log) == bool(rows)
        back = list(log)
        assert all(same(a, b) for a, b in zip(back, rows)) and len(back) == len(rows)
        assert all(type(a[2]) is str and type(a[4]) is bool and type(a[0]) is float for a in back)
        for i in (0, len(rows) // 2, -1):
            if rows:
                assert same(log[i], rows[i])
        assert all(same(a, b) for a, b in zip(log[1:-1], rows[1:-1]))
        assert list(log.column("intent")) == [r[2] for r in rows]
        assert np.array_equal(log.column("sample_time"), np.array([r[1] for r in rows], dtype=np.float64))


def test_a_row_past_the_end_is_an_index_error():
    log = timing_log()
    log.append((1.0, 2.0, 3.0))
    with pytest.raises(IndexError, match="row 1 of a log of 1 rows"):
        log[1]


def test_timing_rows_are_a_float_array_and_extend_like_a_list():
    log = timing_log()
    log += [(float(i), i + 0.004, i + 0.0045) for i in range(10)]
    log.append((10.0, 10.01, 10.012))
    arr = np.asarray(log)
    assert arr.shape == (11, 3) and arr[-1, 2] == 10.012 and arr[3, 0] == 3.0
    assert np.asarray(timing_log()).shape == (0, 3)


def test_an_hour_of_outputs_at_250_per_second_fits_in_tens_of_megabytes():
    """As tuples the same hour held about 300 bytes a row, 270 MB growing all block long."""
    log = output_log()
    row = (1.0, 0.996, "grasp", 0.8, True, 0.004, "v1")
    for _ in range(50_000):
        log.append(row)
    per_row = log.nbytes / len(log)
    assert per_row < 48
    assert per_row * 250 * 3600 / 2**20 < 45  # MB for the hour
