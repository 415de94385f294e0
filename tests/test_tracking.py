"""The MLflow layer: references, integrity of stored bundles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit.config import load_pipeline
from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.tracking import ModelBundle, load_bundle, parse_reference, save_bundle


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("recidivism", ("recidivism", "champion", None)),
        ("recidivism@champion", ("recidivism", "champion", None)),
        ("models:/recidivism@challenger", ("recidivism", "challenger", None)),
        ("recidivism/3", ("recidivism", None, 3)),
    ],
)
def test_parse_reference(reference: str, expected: tuple[str, str | None, int | None]) -> None:
    assert parse_reference(reference) == expected


def test_bad_reference_explains_the_format() -> None:
    with pytest.raises(RiskkitError, match=r"write NAME@ALIAS \(e.g. recidivism@champion\)"):
        parse_reference("recidivism@@x")


def test_bundle_round_trip_and_tamper_detection(small_pipeline: Path, tmp_path: Path) -> None:
    config = load_pipeline(small_pipeline)
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 60, 400).astype(float),
            "prior_convictions": rng.poisson(2, 400).astype(float),
            "housing": pd.Categorical(
                rng.choice(["stable", "homeless"], 400),
                categories=["stable", "temporary", "homeless"],
            ),
            "prison_work": rng.integers(0, 2, 400).astype(float),
        }
    )
    y = rng.integers(0, 2, 400)
    bundle = ModelBundle(AdditiveBoostedClassifier(n_estimators=10).fit(X, y), config)
    hashes = save_bundle(bundle, tmp_path / "bundle")
    restored = load_bundle(tmp_path / "bundle", hashes)
    assert restored.config == config
    np.testing.assert_array_equal(
        restored.estimator.predict_proba(X), bundle.estimator.predict_proba(X)
    )
    model_json = tmp_path / "bundle" / "model.json"
    model_json.write_text(
        model_json.read_text().replace(
            '"reference_probability": 0.', '"reference_probability": 0.1'
        )
    )
    with pytest.raises(RiskkitError, match=r"integrity check failed for .*model.json"):
        load_bundle(tmp_path / "bundle", hashes)


def test_registry_listing_and_the_served_champions(tmp_path: Path, mlflow_store: str) -> None:
    from riskkit import tracking
    from riskkit.service.catalog import registered_models
    from riskkit.service.engine import champion_references
    from tests.conftest import small_scoring_setting

    model, _cases = small_scoring_setting(tmp_path, trees=5, train_rows=400, case_rows=2, seed=3)
    first = tracking.log_and_register(
        model.bundle,
        params={},
        metrics={},
        tags={},
        version_tags={"riskkit_kind": "risk", "promotion": "promoted to champion"},
    )
    second = tracking.log_and_register(
        model.bundle,
        params={},
        metrics={},
        tags={},
        promote=False,
        version_tags={"riskkit_kind": "risk", "promotion": "not promoted: test AUC"},
    )
    listed = tracking.registered_models()
    assert [m.name for m in listed] == ["recidivism"]
    assert listed[0].aliases == {"champion": first.version}
    assert [(v.version, v.aliases, v.kind, v.promotion) for v in listed[0].versions] == [
        (first.version, ("champion",), "risk", "promoted to champion"),
        (second.version, (), "risk", "not promoted: test AUC"),
    ]
    assert listed[0].versions[1].run_id == second.run_id
    assert champion_references() == ["recidivism@champion"]
    served = registered_models()
    assert served[0]["aliases"] == {"champion": first.version}
    assert (
        served[0]["versions"][1]["card"] == f"/v1/models/recidivism/versions/{second.version}/card"
    )
