"""Adapters for public datasets: ProPublica's COMPAS files and NIJ's Georgia parolees.

The files are never bundled with riskkit: they are read from the folder named by the environment
variable ``RISKKIT_DATA_DIR`` (which holds ``compas/`` and ``nij_georgia/``), or from a folder
passed explicitly. Each adapter returns the source's own columns, cleaned so that a pipeline's
``[data.columns]`` and ``[data.values]`` can map them onto the feature registry: documented
filters applied, personal identifiers dropped, codes a TOML table cannot express (top-coded
counts written as text, ``True``/``False`` flags) turned into numbers. See ``docs/datasets.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit.data.charge_types import charge_types
from riskkit.errors import DatasetNotFoundError, RiskkitError

DATA_DIR_VARIABLE = "RISKKIT_DATA_DIR"

COMPAS_GENERAL_FILE = Path("compas") / "compas-scores-two-years.csv"
COMPAS_VIOLENT_FILE = Path("compas") / "compas-scores-two-years-violent.csv"
NIJ_FILE = Path("nij_georgia") / "nij_reconstructed.csv.gz"

#: Columns that name or identify a person (dropped): names and date of birth, plus the court
#: case numbers, which link a row to public court records.
COMPAS_IDENTIFYING_COLUMNS = (
    "name",
    "first",
    "last",
    "dob",
    "c_case_number",
    "r_case_number",
    "vr_case_number",
)
#: Columns the source repeats under a ``.1`` suffix (identical copies) or leaves empty.
COMPAS_REDUNDANT_COLUMNS = ("decile_score.1", "priors_count.1", "violent_recid")
COMPAS_DATE_COLUMNS = (
    "compas_screening_date",
    "c_jail_in",
    "c_jail_out",
    "c_offense_date",
    "c_arrest_date",
    "r_offense_date",
    "r_jail_in",
    "r_jail_out",
    "vr_offense_date",
    "screening_date",
    "v_screening_date",
    "in_custody",
    "out_custody",
)
#: Day counts the source stores as floats only because some are empty.
COMPAS_DAY_COLUMNS = ("days_b_screening_arrest", "c_days_from_compas", "r_days_from_arrest")
#: The violent file's violent two-year outcome (``two_year_recid.1`` in the source).
COMPAS_VIOLENT_TARGET = "two_year_violent_recid"

#: NIJ counts released as text with a top code ("10 or more"): column -> cap. The adapter
#: returns integers; the cap stands for "cap or more".
NIJ_CAPPED_COUNTS: dict[str, int] = {
    "Dependents": 3,
    "Prior_Arrest_Episodes_Felony": 10,
    "Prior_Arrest_Episodes_Misd": 6,
    "Prior_Arrest_Episodes_Violent": 3,
    "Prior_Arrest_Episodes_Property": 5,
    "Prior_Arrest_Episodes_Drug": 5,
    "Prior_Arrest_Episodes_PPViolationCharges": 5,
    "Prior_Conviction_Episodes_Felony": 3,
    "Prior_Conviction_Episodes_Misd": 4,
    "Prior_Conviction_Episodes_Prop": 3,
    "Prior_Conviction_Episodes_Drug": 2,
    "Delinquency_Reports": 4,
    "Program_Attendances": 10,
    "Program_UnexcusedAbsences": 3,
    "Residence_Changes": 3,
}
#: NIJ yes/no columns written ``True``/``False``: returned as 0/1 (nullable).
NIJ_FLAGS = (
    "Gang_Affiliated",
    "Prior_Arrest_Episodes_DVCharges",
    "Prior_Arrest_Episodes_GunCharges",
    "Prior_Conviction_Episodes_Viol",
    "Prior_Conviction_Episodes_PPViolationCharges",
    "Prior_Conviction_Episodes_DomesticViolenceCharges",
    "Prior_Conviction_Episodes_GunCharges",
    "Prior_Revocations_Parole",
    "Prior_Revocations_Probation",
    "Condition_MH_SA",
    "Condition_Cog_Ed",
    "Condition_Other",
    "Violations_ElectronicMonitoring",
    "Violations_Instruction",
    "Violations_FailToReport",
    "Violations_MoveWithoutPermission",
    "Employment_Exempt",
)
#: NIJ outcomes (``True``/``False``, empty where unknown): returned as 0/1 (nullable).
NIJ_OUTCOMES = (
    "Recidivism_Within_3years",
    "Recidivism_Arrest_Year1",
    "Recidivism_Arrest_Year2",
    "Recidivism_Arrest_Year3",
)
#: NIJ measurements during supervision, returned as floats.
NIJ_NUMBERS = (
    "Avg_Days_per_DrugTest",
    "DrugTests_THC_Positive",
    "DrugTests_Cocaine_Positive",
    "DrugTests_Meth_Positive",
    "DrugTests_Other_Positive",
    "Percent_Days_Employed",
    "Jobs_Per_Year",
)
#: NIJ codes kept as text for ``[data.values]`` to recode (bands keep their source labels).
NIJ_TEXT = (
    "Gender",
    "Race",
    "Age_at_Release",
    "Residence_PUMA",
    "Supervision_Level_First",
    "Education_Level",
    "Prison_Offense",
    "Prison_Years",
)
NIJ_INTEGERS = ("Supervision_Risk_Score_First",)
#: Provenance columns of the reconstruction that are kept (which source each part came from).
NIJ_PROVENANCE = ("src_prerelease", "src_supervision")

_TRUE_FALSE = {"True": 1, "False": 0}


def data_dir() -> Path:
    """The folder holding the public datasets, from ``RISKKIT_DATA_DIR``.

    Returns
    -------
    Path
        The folder (it holds ``compas/`` and ``nij_georgia/``).

    Raises
    ------
    DatasetNotFoundError
        When the variable is unset or empty, or names something that is not a folder.
    """
    value = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if not value:
        raise DatasetNotFoundError(
            f"{DATA_DIR_VARIABLE} is not set: riskkit reads the public datasets (COMPAS, NIJ "
            "Georgia) from the folder it names and never ships them. Set it to the folder that "
            f"holds compas/ and nij_georgia/, e.g. `export {DATA_DIR_VARIABLE}=/path/to/data`, "
            "or pass the folder to the loader."
        )
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise DatasetNotFoundError(
            f"{DATA_DIR_VARIABLE}={value} is not a folder (expected the folder that holds "
            f"compas/ and nij_georgia/). Point {DATA_DIR_VARIABLE} at that folder."
        )
    return folder


def _dataset_file(folder: Path | None, relative: Path, what: str) -> Path:
    """The path of one dataset file, checked to exist."""
    base = data_dir() if folder is None else Path(folder).expanduser()
    path = base / relative
    if not path.is_file():
        origin = f"from {DATA_DIR_VARIABLE}" if folder is None else "passed to the loader"
        raise DatasetNotFoundError(
            f"{what} not found: looked for {path} (data folder {base}, {origin}). Set "
            f"{DATA_DIR_VARIABLE} to the folder that holds {relative.parts[0]}/ with the file "
            f"{relative.name} in it (see docs/datasets.md for where the files come from)."
        )
    return path


def load_compas(data_dir: Path | None = None, *, violent: bool = False) -> pd.DataFrame:
    """ProPublica's COMPAS two-year records (Broward County, 2013-2014), filtered as ProPublica did.

    Parameters
    ----------
    data_dir : Path, optional
        Folder holding ``compas/``; ``RISKKIT_DATA_DIR`` when omitted.
    violent : bool, default False
        Read the violent file (outcome ``two_year_violent_recid``) instead of the general one
        (outcome ``two_year_recid``).

    Returns
    -------
    DataFrame
        One row per screening: 6,172 rows (general) or 4,020 (violent), in file order. The
        filters are ProPublica's: ``-30 <= days_b_screening_arrest <= 30``, ``is_recid != -1``,
        ``c_charge_degree != 'O'`` and a score present (``score_text``, or ``v_score_text`` for
        the violent file). Names, date of birth and case numbers are dropped, as are the
        duplicated ``decile_score.1``/``priors_count.1`` and the empty ``violent_recid``.
        Dates are parsed; day counts are nullable integers; ``decile_score`` is a nullable
        integer (the violent file's ``-1``, meaning no general score, becomes missing). Codes
        (``sex``, ``race``, ``c_charge_degree``, ``score_text``...) keep the source's spelling.
        One column is added: ``charge_type``, the free-text ``c_charge_desc`` grouped into
        eight types (:mod:`riskkit.data.charge_types`).

    Raises
    ------
    DatasetNotFoundError
        When the file is not in the data folder.
    """
    relative = COMPAS_VIOLENT_FILE if violent else COMPAS_GENERAL_FILE
    path = _dataset_file(data_dir, relative, "COMPAS violent file" if violent else "COMPAS file")
    # pandas reads the source's "N/A" (no score) as missing
    raw = pd.read_csv(path, low_memory=False)
    score_text = "v_score_text" if violent else "score_text"
    keep = (
        raw["days_b_screening_arrest"].between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & raw[score_text].notna()
    )
    frame = raw.loc[keep].drop(
        columns=[c for c in (*COMPAS_IDENTIFYING_COLUMNS, *COMPAS_REDUNDANT_COLUMNS) if c in raw]
    )
    if violent:
        # In the violent file both two_year_recid and two_year_recid.1 hold the violent outcome;
        # keep one, under a name that says so.
        frame = frame.drop(columns=["two_year_recid"]).rename(
            columns={"two_year_recid.1": COMPAS_VIOLENT_TARGET}
        )
    frame = frame.reset_index(drop=True)
    frame["decile_score"] = frame["decile_score"].astype("Int64").mask(frame["decile_score"] < 1)
    for column in COMPAS_DAY_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in COMPAS_DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    frame["charge_type"] = charge_types(frame["c_charge_desc"])
    return frame


def load_compas_general(data_dir: Path | None = None) -> pd.DataFrame:
    """The general COMPAS file (``load_compas(data_dir)``): 6,172 rows, ``two_year_recid``."""
    return load_compas(data_dir)


def load_compas_violent(data_dir: Path | None = None) -> pd.DataFrame:
    """The violent COMPAS file (``load_compas(data_dir, violent=True)``): 4,020 rows."""
    return load_compas(data_dir, violent=True)


def _top_coded(value: str, cap: int) -> int | None:
    """``"3"`` -> 3, ``"<cap> or more"`` -> cap; None for anything else."""
    if value == f"{cap} or more":
        return cap
    if value.isdigit() and int(value) < cap:
        return int(value)
    return None


def _recode(
    path: Path, column: str, codes: pd.Series, table: Callable[[str], int | None], expected: str
) -> pd.Series:
    """Recode a categorical column of few distinct texts into nullable integers.

    Each distinct text is looked up once (the columns hold a handful of values), which keeps
    the 25,835-row file fast to load.
    """
    categorical = codes.astype("category")
    categories = [str(c) for c in categorical.cat.categories]
    numbers = [table(c) for c in categories]
    unknown = [c for c, n in zip(categories, numbers, strict=True) if n is None]
    if unknown:
        found = ", ".join(repr(v) for v in unknown[:5])
        raise RiskkitError(
            f"{path}: column {column!r} holds values the NIJ adapter does not know ({found}); "
            f"expected {expected}. Has the file changed? Compare it with docs/datasets.md."
        )
    lookup = pd.array([*numbers, None], dtype="Int64")
    # code -1 (a missing value) picks the trailing None
    return pd.Series(lookup[categorical.cat.codes.to_numpy()], index=codes.index, name=column)


def load_nij(data_dir: Path | None = None) -> pd.DataFrame:
    """NIJ's Georgia parolees (released 2013-2015), from the reconstructed full file.

    Parameters
    ----------
    data_dir : Path, optional
        Folder holding ``nij_georgia/``; ``RISKKIT_DATA_DIR`` when omitted.

    Returns
    -------
    DataFrame
        25,835 rows, one per person, in file order. ``ID`` is the official ID; the 2,599
        training rows whose official ID could not be recovered get stand-ins -1, -2, ...
        (negative, so they never collide with an official ID). ``Training_Sample`` (1 = the
        official training set, 18,028 rows) is kept. Top-coded counts (``"10 or more"``) become
        integers capped at the top code (:data:`NIJ_CAPPED_COUNTS`); ``True``/``False``
        flags and outcomes become 0/1 (nullable integers, missing where the reconstruction has
        no value); supervision measurements are floats; ``Supervision_Risk_Score_First`` is a
        nullable integer. Bands and codes (``Age_at_Release``, ``Prison_Years``, ``Gender``,
        ``Race``, ``Residence_PUMA``...) stay text with the source's labels. The provenance
        columns ``src_prerelease`` and ``src_supervision`` are kept; ``in_Test1`` (the same as
        ``Training_Sample == 0``) is dropped.

    Raises
    ------
    DatasetNotFoundError
        When the file is not in the data folder.
    RiskkitError
        When a column is missing or holds a value the adapter does not know.
    """
    path = _dataset_file(data_dir, NIJ_FILE, "NIJ Georgia file")
    dtypes: dict[str, str] = {
        "ID": "float64",
        "Training_Sample": "int64",
        **dict.fromkeys(NIJ_TEXT, "str"),
        **dict.fromkeys(NIJ_INTEGERS, "float64"),
        **dict.fromkeys((*NIJ_CAPPED_COUNTS, *NIJ_FLAGS, *NIJ_OUTCOMES), "category"),
        **dict.fromkeys(NIJ_NUMBERS, "float64"),
    }
    raw = pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values=[""],
        low_memory=False,
    )
    expected = (
        "ID",
        "Training_Sample",
        *NIJ_TEXT,
        *NIJ_INTEGERS,
        *NIJ_CAPPED_COUNTS,
        *NIJ_FLAGS,
        *NIJ_NUMBERS,
        *NIJ_OUTCOMES,
    )
    missing = [c for c in expected if c not in raw.columns]
    if missing:
        raise RiskkitError(
            f"{path} lacks the NIJ columns {', '.join(missing)}; expected the official "
            "Full-dataset schema (see docs/datasets.md)."
        )
    frame = pd.DataFrame(index=raw.index)
    official_id = raw["ID"].astype("Int64")
    unknown = official_id.isna().to_numpy()
    ids = official_id.to_numpy(dtype="int64", na_value=0)
    ids[unknown] = -np.arange(1, int(unknown.sum()) + 1)
    frame["ID"] = ids
    for column in NIJ_TEXT:
        frame[column] = raw[column].str.strip()
    for column in NIJ_INTEGERS:
        frame[column] = raw[column].astype("Int64")
    for column, cap in NIJ_CAPPED_COUNTS.items():
        frame[column] = _recode(
            path,
            column,
            raw[column],
            partial(_top_coded, cap=cap),
            f"whole numbers 0 to {cap - 1} or '{cap} or more'",
        )
    for column in (*NIJ_FLAGS, *NIJ_OUTCOMES):
        frame[column] = _recode(
            path, column, raw[column], _TRUE_FALSE.get, "'True', 'False' or empty"
        )
    for column in NIJ_NUMBERS:
        # + 0.0 turns the reconstruction's -0.0 into 0.0
        frame[column] = raw[column] + 0.0
    frame["Training_Sample"] = raw["Training_Sample"]
    for column in NIJ_PROVENANCE:
        if column in raw.columns:
            frame[column] = raw[column]
    return frame[[c for c in raw.columns if c in frame.columns]]


AdapterLoader = Callable[[Path | None], pd.DataFrame]

#: Built-in sources by the name a pipeline's ``[data] source`` uses.
ADAPTERS: dict[str, AdapterLoader] = {
    "compas_general": load_compas_general,
    "compas_violent": load_compas_violent,
    "nij": load_nij,
}
