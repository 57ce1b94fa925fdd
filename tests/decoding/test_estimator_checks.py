"""scikit-learn's estimator checks, where they apply.

Applied: LDA, Ridge (2-D features) and the continuous stages (2-D
(n_times, n_channels) recordings). Expected to fail, by design, for the
filters and the exponential smoother: ``check_methods_subset_invariance`` and
``check_methods_sample_order_invariance``, because rows are consecutive time
samples and a causal filter's output depends on the rows before it.
Not applied: KalmanDecoder (its predict runs a filter over the rows in
order, so most invariance checks do not hold; tested in test_models.py);
CSP, BandPower, LogVariance, SpikeFeatures take 3-D epochs
(n_epochs, n_channels, n_times), which the checks do not generate (as for
mne.decoding.CSP); tests/decoding/test_csp.py checks their sklearn contract.
The estimators implement scikit-learn's contract without deriving from its
``BaseEstimator`` (workbench/decoding/_base.py: a live session must not
import scikit-learn), so collecting these checks prints scikit-learn's
notice that they do not inherit from it; the checks themselves are the test.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from workbench.decoding import LDA, CommonAverageReference, FilterBank, IIRFilter, NotchFilter, Ridge, SmoothedPower

TEMPORAL = {
    "check_methods_subset_invariance": "a causal filter's output depends on the preceding samples",
    "check_methods_sample_order_invariance": "rows are time samples; reordering them changes the signal",
}


def _expected_failures(est):
    return TEMPORAL if isinstance(est, (IIRFilter, NotchFilter, FilterBank, SmoothedPower)) else {}


@parametrize_with_checks(
    [LDA(), LDA(shrinkage="auto"), Ridge(), CommonAverageReference(),
     IIRFilter(1.0, 10.0, sfreq=100.0), NotchFilter((20.0,), sfreq=100.0),
     FilterBank(((5.0, 10.0), (10.0, 20.0)), sfreq=100.0), SmoothedPower(tau=0.1, sfreq=100.0, log=False)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
