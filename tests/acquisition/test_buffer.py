"""The ring buffer: wrap-around, windows, and readers that must not miss a sample."""

import threading

import numpy as np
import pytest

from workbench.acquisition.buffer import BufferOverrunError, RingBuffer, StreamReader
from workbench.errors import ValidationError


def _chunk(start, n, n_ch=3):
    data = np.zeros((n, n_ch), np.float32)
    data[:, 0] = np.arange(start, start + n)
    return data, np.arange(start, start + n) / 100.0


def test_get_last_after_wrap_returns_newest_in_order():
    buf = RingBuffer(10, 3)
    for start in range(0, 27, 3):
        buf.push(*_chunk(start, 3))
    data, ts = buf.get_last(4)
    assert data[:, 0].tolist() == [23, 24, 25, 26]
    np.testing.assert_allclose(ts, [0.23, 0.24, 0.25, 0.26])
    assert buf.get_last()[0][:, 0].tolist() == list(range(17, 27))
    assert buf.n_total == 27


def test_chunk_larger_than_capacity_keeps_its_tail():
    buf = RingBuffer(5, 3)
    buf.push(*_chunk(0, 2))
    buf.push(*_chunk(2, 12))
    assert buf.get_last()[0][:, 0].tolist() == [9, 10, 11, 12, 13]
    assert buf.n_total == 14


def test_reader_returns_each_sample_once_and_raises_on_overrun():
    buf = RingBuffer(8, 3)
    reader = StreamReader(buf, position=0)
    buf.push(*_chunk(0, 5))
    assert reader.read()[0][:, 0].tolist() == [0, 1, 2, 3, 4]
    assert len(reader.read()[1]) == 0
    buf.push(*_chunk(5, 3))
    assert reader.read()[0][:, 0].tolist() == [5, 6, 7]
    buf.push(*_chunk(8, 9))  # reader at 8, oldest kept is 9: sample 8 was never read
    with pytest.raises(BufferOverrunError, match="sample 8"):
        reader.read()


def test_concurrent_writer_and_reader_see_every_sample_once():
    # Capacity above the total pushed: this test is about torn reads, not overruns.
    buf = RingBuffer(30000, 2)
    reader = StreamReader(buf, position=0)
    got, done = [], threading.Event()

    def write():
        for start in range(0, 20000, 7):
            buf.push(*_chunk(start, 7, 2))
        done.set()

    t = threading.Thread(target=write)
    t.start()
    while not done.is_set() or reader.position < buf.n_total:
        got.append(reader.read()[0][:, 0])
    t.join()
    counter = np.concatenate(got)
    np.testing.assert_array_equal(counter, np.arange(len(counter)))
    assert len(counter) == buf.n_total


def test_bad_sizes_name_the_parameter():
    with pytest.raises(ValidationError, match="n_samples"):
        RingBuffer(0, 3)
    with pytest.raises(ValidationError, match="n_channels"):
        RingBuffer(10, 0)


def test_filling_a_new_buffer_takes_no_page_faults():
    """The buffer's memory is written through when it is made, not while a live loop waits on it.

    numpy asks the kernel for transparent huge pages for large arrays; the first write to each 2 MB
    page (zeroing, compaction) held the inlet thread 5 ms every 1024 samples of a 256-channel stream,
    under the lock the closed loop wakes on. Counted as this thread's minor page faults.
    """
    import resource

    n_samples, n_channels = 15_000, 256  # the closed loop's buffer for 256 ch at 2 kHz: 30 MB
    buf = RingBuffer(n_samples, n_channels, np.float64)
    chunk = np.ones((8, n_channels))
    ts = np.arange(8, dtype=np.float64)
    buf.push(chunk, ts, 0.0)  # any one-off allocation of the first push
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    for _ in range(n_samples // 8):
        buf.push(chunk, ts, 0.0)
    faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before
    assert buf.n_total > n_samples
    # Untouched, the same pushes fault in every page of the 30 MB (15 huge pages or 7,300 small ones).
    assert faults < 5, f"{faults} page faults while filling the buffer"
