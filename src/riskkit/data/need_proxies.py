"""Need proxies for NIJ Georgia: 0/1 labels a needs model can be trained on.

NIJ's Georgia file has no needs assessment. What it has are records kept during parole
supervision (employment, drug tests, changes of address, violations) and a few parole
conditions set at release. :func:`nij_need_labels` turns them into one 0/1 label per need domain
the file can speak to. **These labels are proxies**: each measures something that goes with a
need (a positive drug test, a parolee out of work), not the need a full assessment would find,
and several are shaped by how closely the person was supervised. Model cards must say so
(:data:`PROXY_DEFINITIONS` gives the text), and ``docs/needs.md`` gives each proxy's base rate
and its limits.

Each domain's proxy uses the variables the feature registry assigns to that domain
(``Feature.domain`` in ``riskkit.features.declarations.nij``). The supervision variables are
recorded *after* release. Using them as need labels is legitimate for a needs profile (the
model learns, from what is known at release, which needs are likely to show during supervision),
but they must never be inputs of a risk model scored at release.

A missing source value gives a missing label (NaN), never a 0: those people are left out of
that domain's training, and :func:`riskkit.estimators.needs.label_summary` counts them.

NIJ domains without a proxy: criminal history (the prior record is already a model input, so a
label made from it would only copy an input), family/marital (the file has only the number of
dependants, which is not a need), leisure/recreation and pro-criminal attitudes (nothing in the
file measures them).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from riskkit.errors import RiskkitError

#: The share of supervision days in work below which the education/employment proxy is 1.
EMPLOYMENT_SHARE_BELOW: Final = 0.5
#: Changes of residence (NIJ top-codes at 3) from which the housing proxy is 1.
RESIDENCE_CHANGES_FROM: Final = 2

DRUG_TEST_COLUMNS: Final[tuple[str, ...]] = (
    "DrugTests_THC_Positive",
    "DrugTests_Cocaine_Positive",
    "DrugTests_Meth_Positive",
    "DrugTests_Other_Positive",
)
VIOLATION_COLUMNS: Final[tuple[str, ...]] = (
    "Violations_ElectronicMonitoring",
    "Violations_Instruction",
    "Violations_FailToReport",
)

#: Domain -> the columns of :func:`riskkit.data.adapters.load_nij`'s frame its proxy reads.
PROXY_SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "education_employment": ("Percent_Days_Employed", "Employment_Exempt"),
    "substance_use": ("Avg_Days_per_DrugTest", *DRUG_TEST_COLUMNS),
    "mental_health": ("Condition_MH_SA",),
    "housing": ("Residence_Changes", "Violations_MoveWithoutPermission"),
    "companions": ("Gang_Affiliated",),
    "antisocial_pattern": ("Delinquency_Reports", *VIOLATION_COLUMNS),
}

#: Domain -> registry names of the same source variables. Pass it to
#: ``NeedsModel(exclude_features=...)`` so that no domain model reads the variable its own label
#: is made from (the gang flag and the MH/SA condition are also pre-release inputs of
#: ``pipelines/nij_year1.toml``).
PROXY_SOURCE_FEATURES: Final[dict[str, tuple[str, ...]]] = {
    "education_employment": ("nij_percent_days_employed", "nij_employment_exempt"),
    "substance_use": (
        "nij_days_per_drug_test",
        "nij_drug_tests_thc_positive",
        "nij_drug_tests_cocaine_positive",
        "nij_drug_tests_meth_positive",
        "nij_drug_tests_other_positive",
    ),
    "mental_health": ("nij_condition_mental_health_substance",),
    "housing": ("nij_residence_changes", "nij_violation_move_without_permission"),
    "companions": ("gang_affiliation",),
    "antisocial_pattern": (
        "nij_delinquency_reports",
        "nij_violation_electronic_monitoring",
        "nij_violation_instruction",
        "nij_violation_fail_to_report",
    ),
}

#: Domain -> one paragraph for model cards: what the proxy is, and why it is only a proxy.
PROXY_DEFINITIONS: Final[dict[str, str]] = {
    "education_employment": (
        "PROXY. 1 when a parolee who was not exempt from the employment requirement was in "
        f"work on fewer than {EMPLOYMENT_SHARE_BELOW:.0%} of supervision days "
        "(Percent_Days_Employed < 0.5), 0 when on at least half; missing for exempt parolees "
        "(the requirement did not apply) and where either source is missing. It measures "
        "recorded employment, not employability or education; informal work is not "
        "recorded, and the supervision period differs in length between people."
    ),
    "substance_use": (
        "PROXY. 1 when at least one drug test during supervision was positive for THC, "
        "cocaine, methamphetamine or another drug (any DrugTests_*_Positive share above "
        "0), 0 when every test was negative; missing for people with no testing interval "
        "recorded (Avg_Days_per_DrugTest empty: never tested, or not known to have been "
        "tested). Testing frequency depends on the supervision level, a single positive "
        "cannabis test counts, and a positive test is use, not a use disorder."
    ),
    "mental_health": (
        "MIXED PROXY. 1 when a parole condition requires mental-health OR substance-abuse "
        "programming (Condition_MH_SA), 0 otherwise; missing where the condition is not "
        "recorded. NIJ does not separate the two, so the label mixes mental-health and "
        "substance-use needs; it records a parole board's decision, not a diagnosis."
    ),
    "housing": (
        f"WEAK PROXY. 1 when the parolee changed residence {RESIDENCE_CHANGES_FROM} or more "
        "times during supervision (Residence_Changes) or moved without permission "
        "(Violations_MoveWithoutPermission), 0 otherwise; missing where supervision "
        "records are missing. A move can be an improvement (a first own home); the file "
        "records no homelessness or housing quality."
    ),
    "companions": (
        "PROXY. 1 when the parolee is recorded as gang-affiliated (Gang_Affiliated), 0 "
        "otherwise; missing where not recorded, which is every woman (NIJ did not record "
        "it for women), so the model is trained on men only and its probabilities for "
        "women are extrapolations. Affiliation is an official designation, not an "
        "assessment of the person's associates."
    ),
    "antisocial_pattern": (
        "PROXY. 1 when supervision recorded at least one delinquency report "
        "(Delinquency_Reports) or a violation of electronic monitoring, of the officer's "
        "instructions, or a failure to report (Violations_*), 0 otherwise; missing where "
        "supervision records are missing. Violations depend on how closely a person is "
        "supervised and on officers' discretion, so they also measure supervision, not "
        "only behaviour."
    ),
}

#: Base rates measured on the reconstructed NIJ file (25,835 people; see docs/needs.md):
#: domain -> (labelled people, share with label 1).
DOCUMENTED_BASE_RATES: Final[dict[str, tuple[int, float]]] = {
    "education_employment": (19745, 0.500),
    "substance_use": (17751, 0.418),
    "mental_health": (23236, 0.657),
    "housing": (22956, 0.306),
    "companions": (22668, 0.174),
    "antisocial_pattern": (22956, 0.422),
}


def _require(frame: pd.DataFrame) -> None:
    needed = sorted({c for sources in PROXY_SOURCES.values() for c in sources})
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise RiskkitError(
            f"the frame lacks the NIJ column(s) {missing} that the need proxies read; pass "
            "riskkit.data.adapters.load_nij()'s frame (source column names, before mapping)"
        )


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """A source column as float64 with NaN for missing values."""
    values = pd.to_numeric(frame[column], errors="coerce")
    return pd.Series(values.to_numpy(dtype="float64", na_value=np.nan), index=frame.index)


def _label(positive: pd.Series, known: pd.Series) -> pd.Series:
    """1.0 where ``positive``, 0.0 where not, NaN where not ``known``."""
    out = positive.astype("float64")
    out[~known] = np.nan
    return out


def nij_need_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Proxy need labels for NIJ Georgia parolees.

    Parameters
    ----------
    frame : DataFrame
        :func:`riskkit.data.adapters.load_nij`'s frame (NIJ's own column names).

    Returns
    -------
    DataFrame
        Indexed like ``frame``, one float column per domain with a proxy (``need_<domain>``
        for the domains in :data:`PROXY_DEFINITIONS`): 1.0, 0.0, or NaN where a source value
        is missing or the proxy does not apply (employment-exempt parolees). See
        :data:`PROXY_DEFINITIONS` for each definition.

    Raises
    ------
    RiskkitError
        When a source column is missing.
    """
    _require(frame)
    labels: dict[str, pd.Series] = {}

    employed = _numbers(frame, "Percent_Days_Employed")
    exempt = _numbers(frame, "Employment_Exempt")
    labels["education_employment"] = _label(
        employed < EMPLOYMENT_SHARE_BELOW, employed.notna() & (exempt == 0)
    )

    shares = pd.DataFrame({c: _numbers(frame, c) for c in DRUG_TEST_COLUMNS})
    tested = _numbers(frame, "Avg_Days_per_DrugTest").notna() & shares.notna().all(axis=1)
    labels["substance_use"] = _label((shares > 0).any(axis=1), tested)

    condition = _numbers(frame, "Condition_MH_SA")
    labels["mental_health"] = _label(condition == 1, condition.notna())

    moves = _numbers(frame, "Residence_Changes")
    moved_without_permission = _numbers(frame, "Violations_MoveWithoutPermission")
    labels["housing"] = _label(
        (moves >= RESIDENCE_CHANGES_FROM) | (moved_without_permission == 1),
        moves.notna() & moved_without_permission.notna(),
    )

    gang = _numbers(frame, "Gang_Affiliated")
    labels["companions"] = _label(gang == 1, gang.notna())

    reports = _numbers(frame, "Delinquency_Reports")
    violations = pd.DataFrame({c: _numbers(frame, c) for c in VIOLATION_COLUMNS})
    labels["antisocial_pattern"] = _label(
        (reports >= 1) | (violations == 1).any(axis=1),
        reports.notna() & violations.notna().all(axis=1),
    )

    return pd.DataFrame(
        {f"need_{domain}": labels[domain] for domain in PROXY_DEFINITIONS}, index=frame.index
    )
