"""scikit-learn's estimator checks on riskkit's estimators (the scorecard's are in
test_scorecard.py, the reference models' in test_reference_models.py).

The estimators are checked with ``min_child_samples=1``: with a larger minimum,
``check_sample_weight_equivalence_on_dense_data`` fails for a principled reason (LightGBM counts
records, not weights, toward a leaf's minimum size, so a weight of 2 is not a repeated row).
No check is expected to fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.utils.estimator_checks import parametrize_with_checks

from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.calibration import CalibratedAdditiveClassifier

ESTIMATORS = [
    AdditiveBoostedClassifier(n_estimators=10, min_child_samples=1),
    CalibratedAdditiveClassifier(
        AdditiveBoostedClassifier(n_estimators=10, min_child_samples=1), cv=2
    ),
]


@parametrize_with_checks(ESTIMATORS)  # type: ignore[misc]
def test_sklearn_contract(estimator: Any, check: Callable[[Any], None]) -> None:
    check(estimator)
