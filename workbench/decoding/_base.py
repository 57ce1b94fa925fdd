"""scikit-learn's estimator contract without importing scikit-learn.

Importing ``sklearn.base`` costs about 1 s (it imports scipy.stats and
pandas), more than everything else a live session needs to load a saved
decoder and produce its first output (numba's cached kernels and numpy:
about 0.4 s). The decoder's estimators therefore derive from these classes,
which give what scikit-learn's ``BaseEstimator`` and mixins give
(``get_params``/``set_params`` from the ``__init__`` signature, ``repr``
showing the changed parameters, the estimator tags, ``fit_transform``,
``score``) and import scikit-learn only inside the methods that fitting,
scoring and cross-validation call, where it is loaded anyway. They drop into
``Pipeline``, ``clone``, ``cross_val_score``, ``GridSearchCV`` and pass
``check_estimator`` (tests/decoding/test_estimator_checks.py), as duck-typed
estimators may (scikit-learn's developer guide, "Rolling your own
estimator").
"""

from __future__ import annotations

import copy
import inspect
import sys


class BaseEstimator:
    """Parameters from ``__init__``'s signature (set there and nowhere else)."""

    @classmethod
    def _get_param_names(cls):
        if cls.__init__ is object.__init__:
            return []
        params = [p for p in inspect.signature(cls.__init__).parameters.values()
                  if p.name != "self" and p.kind != p.VAR_KEYWORD]
        if any(p.kind == p.VAR_POSITIONAL for p in params):
            raise RuntimeError(f"{cls.__name__}: estimators name every parameter in __init__ (no *args)")
        return sorted(p.name for p in params)

    def get_params(self, deep=True):
        out = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params):
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested = {}
        for key, value in params.items():
            name, delim, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for estimator {self}. "
                                 f"Valid parameters are: {self._get_param_names()!r}.")
            if delim:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self

    def __repr__(self):
        # Only the parameters that differ from their defaults, as scikit-learn prints them.
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                 if k not in defaults or repr(v) != repr(defaults[k])]
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False), transformer_tags=None,
                    regressor_tags=None, classifier_tags=None)


class TransformerMixin:
    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()
        return tags

    def fit_transform(self, X, y=None, **fit_params):
        fitted = self.fit(X, **fit_params) if y is None else self.fit(X, y, **fit_params)
        return fitted.transform(X)


class ClassifierMixin:
    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on (X, y)."""
        from sklearn.metrics import accuracy_score

        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)


class RegressorMixin:
    def __sklearn_tags__(self):
        from sklearn.utils import RegressorTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        return tags

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 on (X, y)."""
        from sklearn.metrics import r2_score

        return r2_score(y, self.predict(X), sample_weight=sample_weight)


def clone(est):
    """An unfitted copy with the same parameters (``sklearn.base.clone`` for estimators defined elsewhere)."""
    if isinstance(est, BaseEstimator):
        return type(est)(**{k: copy.deepcopy(v) for k, v in est.get_params(deep=False).items()})
    from sklearn.base import clone as sk_clone

    return sk_clone(est)


def pipeline_steps(pipeline):
    """The estimators of a scikit-learn ``Pipeline`` or of a list of them.

    A Pipeline can only exist once ``sklearn.pipeline`` is imported, so a
    list is never made to import it.
    """
    sk_pipeline = sys.modules.get("sklearn.pipeline")
    if sk_pipeline is not None and isinstance(pipeline, sk_pipeline.Pipeline):
        return [est for _, est in pipeline.steps]
    return list(pipeline)


# Fitting and offline prediction validate their input with scikit-learn (imported then, not before).
def validate_data(*args, **kwargs):
    from sklearn.utils.validation import validate_data as sk_validate_data

    return sk_validate_data(*args, **kwargs)


def check_classification_targets(y):
    from sklearn.utils.multiclass import check_classification_targets as sk_check

    return sk_check(y)
