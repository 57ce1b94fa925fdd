"""The decoders people choose between when they train one, by name.

``make_decoder(kind, ...)`` builds an unfitted :class:`Decoder` for cued
motor-imagery classes from one of :data:`DECODER_KINDS`. Every kind filters
causally, so the windows it is trained on are the ones it sees online.

``"bandpower_lda"``
    Log band power in the mu and beta bands (8-12, 18-26 Hz) + shrinkage LDA;
    few parameters, robust with little calibration data (the default).
``"csp_lda"``
    8-30 Hz band-pass, common spatial patterns (4 filters) + LDA (Ramoser et
    al. 2000; Blankertz et al. 2008). Two classes only: CSP contrasts two.
``"ts_lr"``
    8-30 Hz band-pass, OAS covariances, tangent space at their Riemannian
    mean + logistic regression, C=1.0 (MOABB's ``TSLR`` pipeline; Barachant
    et al. 2013).
``"mdm"``
    8-30 Hz band-pass, OAS covariances, minimum distance to the Riemannian
    class means (MOABB's ``MDM``; Barachant et al. 2012).
"""

from __future__ import annotations

from ..errors import Problem, ValidationError

DECODER_KINDS = {
    "bandpower_lda": "mu/beta band power + LDA",
    "csp_lda": "CSP + LDA (8-30 Hz, two classes)",
    "ts_lr": "Riemannian tangent space + logistic regression (8-30 Hz, OAS)",
    "mdm": "Riemannian minimum distance to mean (8-30 Hz, OAS)",
}
MU_BETA_BANDS = ((8.0, 12.0), (18.0, 26.0))
MOTOR_BAND = (8.0, 30.0)


TWO_CLASS_KINDS = ("csp_lda",)


def check_decoder_kind(kind, classes=None, field="kind"):
    """Raise a ValidationError naming ``field``, the value and the allowed kinds unless ``kind`` fits.

    With ``classes`` (the training labels' classes), a two-class kind is refused for more classes.
    """
    if not (isinstance(kind, str) and kind in DECODER_KINDS):
        allowed = ", ".join(f"{k!r} ({v})" for k, v in DECODER_KINDS.items())
        raise ValidationError([Problem(field, kind, f"one of {allowed}")], what="decoder")
    if classes is not None and kind in TWO_CLASS_KINDS and len(classes) != 2:
        others = ", ".join(repr(k) for k in DECODER_KINDS if k not in TWO_CLASS_KINDS)
        raise ValidationError([Problem(field, kind, f"a kind for {len(classes)} classes "
                                                    f"({', '.join(str(c) for c in classes)}): {others} "
                                                    f"({kind} separates exactly two)")], what="decoder")


def make_decoder(kind, *, sfreq, ch_names, window, step):
    """An unfitted :class:`Decoder` of the given kind (see the module's docstring).

    Parameters
    ----------
    kind : {"bandpower_lda", "csp_lda", "ts_lr", "mdm"}
    sfreq : float
        Sampling rate in Hz.
    ch_names : list of str
    window, step : int
        Window length and samples between outputs.
    """
    from . import (
        CSP, LDA, MDM, BandPower, Covariances, Decoder, FilterBank, IIRFilter, LogisticRegression, TangentSpace,
    )

    check_decoder_kind(kind)
    if kind == "bandpower_lda":
        stages, pipeline = [FilterBank(MU_BETA_BANDS, sfreq=sfreq)], [BandPower(log=True), LDA()]
    else:
        stages = [IIRFilter(*MOTOR_BAND, sfreq=sfreq)]
        pipeline = {"csp_lda": lambda: [CSP(4), LDA()],
                    "ts_lr": lambda: [TangentSpace(estimator="oas"), LogisticRegression(C=1.0)],
                    "mdm": lambda: [Covariances(estimator="oas"), MDM()]}[kind]()
    return Decoder(stages, pipeline, sfreq=sfreq, ch_names=ch_names, window=window, step=step)
