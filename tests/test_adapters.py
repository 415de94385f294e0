"""The COMPAS and NIJ Georgia adapters, their registry declarations and pipelines.

Tests on the real files read them from ``RISKKIT_DATA_DIR`` and are skipped when it is unset; the
files are never copied into the project (the small frames built here are invented).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskkit.config import ADAPTER_SOURCES, PipelineConfig, load_pipeline
from riskkit.data.adapters import (
    ADAPTERS,
    COMPAS_GENERAL_FILE,
    COMPAS_IDENTIFYING_COLUMNS,
    COMPAS_VIOLENT_FILE,
    COMPAS_VIOLENT_TARGET,
    DATA_DIR_VARIABLE,
    NIJ_CAPPED_COUNTS,
    NIJ_FILE,
    NIJ_FLAGS,
    NIJ_INTEGERS,
    NIJ_NUMBERS,
    NIJ_OUTCOMES,
    NIJ_TEXT,
    data_dir,
    load_compas,
    load_nij,
)
from riskkit.data.mapping import map_columns
from riskkit.data.schema import RecordSchema
from riskkit.data.validation import validate_records
from riskkit.errors import DatasetNotFoundError, RiskkitError
from riskkit.features.declarations import nij as nij_declarations
from riskkit.features.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
COMPAS_PIPELINE = ROOT / "pipelines" / "compas_general.toml"
NIJ_PIPELINE = ROOT / "pipelines" / "nij_year1.toml"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compas(data_root: Path) -> pd.DataFrame:
    return load_compas(data_root)


@pytest.fixture(scope="module")
def compas_violent(data_root: Path) -> pd.DataFrame:
    return load_compas(data_root, violent=True)


@pytest.fixture(scope="module")
def nij(data_root: Path) -> pd.DataFrame:
    return load_nij(data_root)


@pytest.fixture(scope="module")
def compas_config() -> PipelineConfig:
    return load_pipeline(COMPAS_PIPELINE)


@pytest.fixture(scope="module")
def nij_config() -> PipelineConfig:
    return load_pipeline(NIJ_PIPELINE)


# --- without the data -------------------------------------------------------------------------


def test_data_dir_unset_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)
    with pytest.raises(DatasetNotFoundError, match=r"RISKKIT_DATA_DIR is not set.*export"):
        data_dir()
    with pytest.raises(DatasetNotFoundError, match="RISKKIT_DATA_DIR is not set"):
        load_compas()


def test_data_dir_not_a_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(missing))
    with pytest.raises(DatasetNotFoundError, match=r"RISKKIT_DATA_DIR=.*nowhere is not a folder"):
        data_dir()


@pytest.mark.parametrize(
    ("source", "file_name"),
    [
        ("compas_general", "compas-scores-two-years.csv"),
        ("compas_violent", "compas-scores-two-years-violent.csv"),
        ("nij", "nij_reconstructed.csv.gz"),
    ],
)
def test_missing_file_names_the_path_and_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str, file_name: str
) -> None:
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path))
    pattern = re.escape(str(tmp_path)) + r".*" + re.escape(file_name) + r".*RISKKIT_DATA_DIR"
    with pytest.raises(DatasetNotFoundError, match=pattern):
        ADAPTERS[source](None)
    with pytest.raises(DatasetNotFoundError, match=r"looked for .*passed to the loader"):
        ADAPTERS[source](tmp_path)


def test_every_builtin_dataset_source_has_an_adapter() -> None:
    assert set(ADAPTERS) == set(ADAPTER_SOURCES) - {"synthetic"}


def _invented_nij_rows() -> pd.DataFrame:
    """Two invented people in the NIJ file's layout (no real record)."""
    columns: dict[str, list[str]] = {"ID": ["7", ""], "Training_Sample": ["0", "1"]}
    columns |= {c: ["x", "y"] for c in NIJ_TEXT}
    columns |= {c: ["4", ""] for c in NIJ_INTEGERS}
    columns |= {c: [f"{cap} or more", "0"] for c, cap in NIJ_CAPPED_COUNTS.items()}
    columns |= {c: ["True", ""] for c in (*NIJ_FLAGS, *NIJ_OUTCOMES)}
    columns |= {c: ["-0.0", ""] for c in NIJ_NUMBERS}
    return pd.DataFrame(columns)


def test_nij_cleaning_on_invented_rows(tmp_path: Path) -> None:
    path = tmp_path / NIJ_FILE
    path.parent.mkdir()
    _invented_nij_rows().to_csv(path, index=False)
    frame = load_nij(tmp_path)
    assert frame["ID"].tolist() == [7, -1]
    for column, cap in NIJ_CAPPED_COUNTS.items():
        assert frame[column].tolist() == [cap, 0], column
    for column in (*NIJ_FLAGS, *NIJ_OUTCOMES):
        assert frame[column].iloc[0] == 1
        assert pd.isna(frame[column].iloc[1])
    assert str(frame["DrugTests_THC_Positive"].iloc[0]) == "0.0"
    assert frame["Supervision_Risk_Score_First"].dtype == "Int64"


def test_nij_unknown_code_is_refused(tmp_path: Path) -> None:
    rows = _invented_nij_rows()
    rows.loc[0, "Prior_Arrest_Episodes_Felony"] = "11 or more"
    rows.loc[1, "Gang_Affiliated"] = "maybe"
    path = tmp_path / NIJ_FILE
    path.parent.mkdir()
    rows.to_csv(path, index=False)
    with pytest.raises(RiskkitError, match=r"'Prior_Arrest_Episodes_Felony'.*'11 or more'"):
        load_nij(tmp_path)


def test_nij_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / NIJ_FILE
    path.parent.mkdir()
    _invented_nij_rows().drop(columns=["Prison_Years"]).to_csv(path, index=False)
    with pytest.raises(RiskkitError, match="lacks the NIJ columns Prison_Years"):
        load_nij(tmp_path)


def test_pipelines_load_with_their_sources_and_targets(
    compas_config: PipelineConfig, nij_config: PipelineConfig
) -> None:
    assert (compas_config.data.source, compas_config.data.id_column) == ("compas_general", "id")
    assert compas_config.target.column == "rearrest_24m"
    assert (nij_config.data.source, nij_config.data.id_column) == ("nij", "ID")
    assert nij_config.target.column == "rearrest_12m"
    for config in (compas_config, nij_config):
        assert config.sensitive.attributes == ["race_us", "sex"]
        assert not {"race_us", "sex"} & set(config.features.use)
        assert config.tracking.experiment == config.tracking.model_name == config.name


def test_nij_pipeline_uses_no_supervision_period_variable(nij_config: PipelineConfig) -> None:
    assert not set(nij_config.features.use) & set(nij_declarations.SUPERVISION_NAMES)
    supervision_columns = {c for c in NIJ_FLAGS if c.startswith("Violations_")} | set(NIJ_NUMBERS)
    assert not supervision_columns & {
        nij_config.source_column(name) for name in nij_config.features.use
    }


def test_new_protected_attribute_is_race_us() -> None:
    registry = default_registry()
    assert registry["race_us"].protected
    assert registry["sex"].protected
    for name in ("rearrest_12m", "rearrest_36m", "violent_rearrest_24m", "rearrest_24m"):
        registry.outcome(name)


# --- on the data ------------------------------------------------------------------------------


def test_compas_row_counts_and_filters(compas: pd.DataFrame, compas_violent: pd.DataFrame) -> None:
    assert len(compas) == 6_172
    assert len(compas_violent) == 4_020
    for frame in (compas, compas_violent):
        assert frame["id"].is_unique
        assert frame["days_b_screening_arrest"].between(-30, 30).all()
        assert (frame["is_recid"] != -1).all()
        assert set(frame["c_charge_degree"]) == {"F", "M"}
    assert compas["score_text"].notna().all()
    assert compas_violent["v_score_text"].notna().all()


def test_compas_drops_personal_identifiers(
    compas: pd.DataFrame, compas_violent: pd.DataFrame
) -> None:
    for frame in (compas, compas_violent):
        assert not set(COMPAS_IDENTIFYING_COLUMNS) & set(frame.columns)
        assert not [c for c in frame.columns if c.endswith(".1")]
    assert COMPAS_VIOLENT_TARGET in compas_violent.columns
    assert "two_year_recid" not in compas_violent.columns


def test_compas_groups_match_source_md(compas: pd.DataFrame) -> None:
    assert compas["race"].value_counts().to_dict() == {
        "African-American": 3_175,
        "Caucasian": 2_103,
        "Hispanic": 509,
        "Other": 343,
        "Asian": 31,
        "Native American": 11,
    }
    assert compas["sex"].value_counts().to_dict() == {"Male": 4_997, "Female": 1_175}


def test_compas_base_rates_and_decile_auc(
    compas: pd.DataFrame, compas_violent: pd.DataFrame
) -> None:
    assert compas["two_year_recid"].mean() == pytest.approx(0.455, abs=5e-4)
    assert compas_violent[COMPAS_VIOLENT_TARGET].mean() == pytest.approx(0.162, abs=5e-4)
    general_auc = roc_auc_score(compas["two_year_recid"], compas["decile_score"])
    assert general_auc == pytest.approx(0.710, abs=0.002)
    violent_auc = roc_auc_score(
        compas_violent[COMPAS_VIOLENT_TARGET], compas_violent["v_decile_score"]
    )
    assert violent_auc == pytest.approx(0.719, abs=0.002)


def test_nij_counts_and_base_rate(nij: pd.DataFrame) -> None:
    assert len(nij) == 25_835
    assert int(nij["Training_Sample"].sum()) == 18_028
    assert nij["Recidivism_Arrest_Year1"].mean() == pytest.approx(0.299, abs=5e-4)
    assert nij["ID"].is_unique
    assert int((nij["ID"] < 0).sum()) == 2_599
    assert nij["Race"].value_counts().to_dict() == {"BLACK": 14_847, "WHITE": 10_988}
    assert nij["Gender"].value_counts().to_dict() == {"M": 22_668, "F": 3_167}


def test_nij_top_coded_counts_are_integers_up_to_the_cap(nij: pd.DataFrame) -> None:
    for column, cap in NIJ_CAPPED_COUNTS.items():
        values = nij[column]
        assert pd.api.types.is_integer_dtype(values.dtype), column
        assert values.min() == 0, column
        assert values.max() == cap, column
    assert int((nij["Prior_Arrest_Episodes_Felony"] == 10).sum()) > 0
    for column in (*NIJ_FLAGS, *NIJ_OUTCOMES):
        assert set(nij[column].dropna().unique()) <= {0, 1}, column


def _mapped_value_problems(frame: pd.DataFrame, config: PipelineConfig) -> list[str]:
    """Every mapped column checked against its registry declaration (not only the schema's)."""
    registry = default_registry()
    mapped = map_columns(frame, config)
    problems: list[str] = []
    for name, source in config.data.columns.items():
        if name not in mapped.columns:
            problems.append(f"{name}: source column {source!r} is missing")
            continue
        column = mapped[name]
        present = column.dropna()
        if name in registry.outcomes:
            if set(present.unique()) - {0, 1}:
                problems.append(f"{name}: outcome values {sorted(set(present))}")
            continue
        feature = registry[name]
        if not feature.nullable and len(present) < len(column):
            problems.append(f"{name}: {len(column) - len(present)} empty values")
        if feature.kind == "categorical":
            unknown = set(present.astype(str)) - set(feature.categories)
            if unknown:
                problems.append(f"{name}: unknown categories {sorted(unknown)}")
        elif feature.kind == "binary":
            if set(present.unique()) - {0, 1}:
                problems.append(f"{name}: non-binary values {sorted(set(present))}")
        else:
            numbers = present.astype("float64")
            low, high = feature.minimum, feature.maximum
            assert low is not None and high is not None
            if ((numbers < low) | (numbers > high)).any():
                problems.append(f"{name}: outside {low}-{high}")
            if feature.kind == "integer" and (numbers % 1 != 0).any():
                problems.append(f"{name}: not whole numbers")
    return problems


def test_every_mapped_compas_value_fits_the_registry(
    compas: pd.DataFrame, compas_config: PipelineConfig
) -> None:
    assert _mapped_value_problems(compas, compas_config) == []


def test_every_mapped_nij_value_fits_the_registry(
    nij: pd.DataFrame, nij_config: PipelineConfig
) -> None:
    assert _mapped_value_problems(nij, nij_config) == []


@pytest.mark.parametrize("which", ["compas", "nij"])
def test_mapped_records_validate_against_the_pipeline_schema(
    which: str, request: pytest.FixtureRequest
) -> None:
    frame: pd.DataFrame = request.getfixturevalue(which)
    config: PipelineConfig = request.getfixturevalue(f"{which}_config")
    schema = RecordSchema.for_pipeline(config, purpose="audit")
    result = validate_records(map_columns(frame, config), schema)
    assert result.problems == []
    assert len(result.valid) == len(frame)


def test_the_dataset_files_are_not_in_the_project() -> None:
    names = {
        COMPAS_GENERAL_FILE.name,
        COMPAS_VIOLENT_FILE.name,
        NIJ_FILE.name,
        "nij_reconstructed.csv",
    }
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d != "node_modules"]
        found += [str(Path(folder) / f) for f in files if f in names]
    assert found == []


def test_compas_charge_types_cover_every_row(compas: pd.DataFrame) -> None:
    counts = compas["charge_type"].value_counts()
    assert counts.sum() == len(compas)
    # the counts the charge_types module docstring gives
    assert counts.to_dict() == {
        "violent": 1_985,
        "drug": 1_162,
        "property": 1_066,
        "driving": 834,
        "no_charge": 784,
        "public_order": 199,
        "other": 98,
        "weapons": 44,
    }
