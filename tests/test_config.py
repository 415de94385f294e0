"""Pipeline configuration: typed loading and errors that name the file, key and allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskkit.config import load_pipeline
from riskkit.errors import ConfigError
from tests.conftest import SMALL_PIPELINE

PIPELINES = sorted(Path(__file__).parent.parent.joinpath("pipelines").glob("*.toml"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.name)
def test_every_shipped_pipeline_loads(path: Path) -> None:
    config = load_pipeline(path)
    assert config.features.use
    if config.model.kind == "needs":  # no bands: each domain's level comes from [needs]
        assert config.needs is not None and config.band_thresholds() == []
    else:
        assert config.band_thresholds()[-1] == 1.0


def test_small_pipeline_is_typed(small_pipeline: Path) -> None:
    config = load_pipeline(small_pipeline)
    assert config.features.use == ["age", "prior_convictions", "housing", "prison_work"]
    assert config.source_column("age") == "edad"
    assert config.source_column("housing") == "housing"
    assert config.model.kind == "additive_boosted"
    # relative data paths are read from the TOML's folder
    assert config.data.source == str(small_pipeline.parent / "records.csv")


def test_unknown_key_names_file_key_and_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PIPELINE.replace('id_column = "id"', 'id_colum = "id"'))
    with pytest.raises(
        ConfigError, match=r"unknown key 'data.id_colum'; allowed keys here: source, id_column"
    ) as info:
        load_pipeline(path)
    assert str(path) in str(info.value)


def test_missing_field_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PIPELINE.replace('model_name = "small"', ""))
    with pytest.raises(ConfigError, match=r"missing required key 'tracking.model_name'"):
        load_pipeline(path)


def test_unknown_feature_lists_close_and_allowed_names(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PIPELINE.replace('"prison_work"]', '"prison_wrk"]'))
    with pytest.raises(
        ConfigError, match=r"unknown feature 'prison_wrk'\. Did you mean 'prison_work'"
    ) as info:
        load_pipeline(path)
    assert "Known features: " in str(info.value)
    assert "age_first_arrest" in str(info.value)


def test_protected_attribute_as_feature_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PIPELINE.replace('"prison_work"]', '"prison_work", "sex"]'))
    with pytest.raises(
        ConfigError, match=r"'sex' is a protected attribute and is refused as a model input"
    ):
        load_pipeline(path)


def test_protected_attribute_allowed_only_explicitly(tmp_path: Path) -> None:
    text = SMALL_PIPELINE.replace(
        '"prison_work"]', '"prison_work", "sex"]\nallow_protected = ["sex"]'
    )
    config = load_pipeline(write(tmp_path, text))
    assert "sex" in config.features.use


def test_bands_must_increase_and_end_at_one(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PIPELINE.replace("max_probability = 0.3", "max_probability = 1.0"))
    with pytest.raises(
        ConfigError, match=r"band max_probability values must increase, found \[1.0, 1.0\]"
    ):
        load_pipeline(path)


def test_unknown_target_lists_outcomes(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PIPELINE.replace('column = "rearrest_24m"', 'column = "rearest"'))
    with pytest.raises(
        ConfigError,
        match=r"key 'target.column': unknown outcome 'rearest'.*Known outcomes: .*rearrest_24m",
    ):
        load_pipeline(path)


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_PIPELINE + '\n[model]\nn_estimators = "many"\n')
    with pytest.raises(ConfigError, match=r"key 'model.n_estimators': .*found 'many'"):
        load_pipeline(path)


def test_missing_file_lists_pipelines(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"the file does not exist"):
        load_pipeline(tmp_path / "nope.toml")


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML"):
        load_pipeline(write(tmp_path, "name = \n"))
