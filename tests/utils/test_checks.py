import numpy as np
import pytest

from workbench.errors import Problem, ValidationError
from workbench.utils._checks import _check_array, _check_option, _check_positive, _validate_type


def test_check_option_names_field_value_and_allowed():
    with pytest.raises(ValidationError) as exc:
        _check_option("montage", "eeg-65", ["eeg-64", "ecog-8"])
    msg = str(exc.value)
    assert "montage" in msg and "'eeg-65'" in msg and "'eeg-64'" in msg and "'ecog-8'" in msg
    assert exc.value.fields == ("montage",)


def test_validation_error_lists_every_problem():
    err = ValidationError([Problem("a", 1, "0..0"), Problem("b", "x", "Yes, No, NT")], what="exam")
    assert err.fields == ("a", "b")
    assert "2 problems" in str(err) and "b: got 'x'; allowed: Yes, No, NT" in str(err)
    with pytest.raises(ValueError):
        ValidationError([])


def test_check_array_shape_channels_and_finite():
    ok = _check_array("chunk", [[1, 2], [3, 4]], ndim=2, n_channels=2)
    assert ok.dtype == np.float64 and ok.flags.c_contiguous
    with pytest.raises(ValidationError, match=r"chunk.shape\[-1\] \(n_channels\): got 3"):
        _check_array("chunk", np.zeros((4, 3)), ndim=2, n_channels=2)
    with pytest.raises(ValidationError, match=r"chunk\[1, 0\]: got nan"):
        _check_array("chunk", [[0.0, 1.0], [np.nan, 1.0]], ndim=2)
    with pytest.raises(ValidationError, match="with 2 dimensions"):
        _check_array("chunk", np.zeros(3), ndim=2)
    with pytest.raises(TypeError, match="numeric array"):
        _check_array("chunk", [["a", "b"]], ndim=2)


def test_check_array_lists_every_problem_at_once():
    with pytest.raises(ValidationError) as exc:
        _check_array("chunk", np.full(3, np.inf), ndim=2, n_channels=2)
    assert exc.value.fields == ("chunk.shape", "chunk.shape[-1] (n_channels)", "chunk[0]")


def test_check_option_and_positive_are_validation_errors_too():
    """One style: a bad value is a ValidationError (still a ValueError for old callers)."""
    for call in (lambda: _check_option("x", 3, [1, 2]), lambda: _check_positive("x", -1)):
        with pytest.raises(ValidationError) as exc:
            call()
        assert isinstance(exc.value, ValueError) and exc.value.fields == ("x",)
    with pytest.raises(TypeError, match="x must be int"):
        _validate_type("x", "3", int, "int")


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_check_positive_rejects(value):
    with pytest.raises(ValidationError, match="sfreq"):
        _check_positive("sfreq", value)
