"""A function run in a helper process: its value back, its errors raised here with their fields, a helper
that dies named with its exit status, and never the caller's real-time priority."""

import os
import sys

import pytest

from workbench.errors import ValidationError, WorkbenchError
from workbench.utils.isolated import run_isolated

from .test_realtime import in_thread, permitted


def test_the_value_comes_back_from_another_process():
    out = run_isolated("os:getpid")
    assert isinstance(out.value, int) and out.value != os.getpid()
    if sys.platform.startswith("linux"):
        assert out.peak_rss_mb is not None and out.peak_rss_mb > 1.0  # an interpreter is a few MB at least


def test_a_validation_error_is_raised_here_with_every_problem():
    with pytest.raises(ValidationError) as info:
        run_isolated("workbench.decoding.presets:check_decoder_kind", "no_such_kind")
    assert info.value.fields == ("kind",)
    assert info.value.problems[0].value == "no_such_kind"


def test_a_helper_that_dies_without_an_answer_is_named_with_its_exit_status():
    with pytest.raises(WorkbenchError, match="exit status 3 and no answer"):
        run_isolated("os:_exit", 3)


def test_a_target_without_a_function_is_refused_before_a_process_starts():
    with pytest.raises(ValueError, match="package.module:function"):
        run_isolated("os.getpid")


@pytest.mark.skipif(not hasattr(os, "SCHED_FIFO"), reason="Linux scheduling")
def test_the_helper_never_inherits_a_live_threads_real_time_priority():
    from workbench.utils.realtime import live_priority

    if not permitted():
        pytest.skip("real-time scheduling not permitted here")

    def from_a_live_thread():
        with live_priority() as got:
            assert got.granted
            return run_isolated("os:sched_getscheduler", 0).value, os.sched_getscheduler(0)

    helper, caller = in_thread(from_a_live_thread)
    assert caller == os.SCHED_FIFO, "the caller keeps its own priority"
    assert helper == os.SCHED_OTHER
