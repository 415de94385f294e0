"""The synthetic population: people released from prison in a Latin American system.

Every person is generated from a small structural model whose equations and coefficients are
stated here (and, for analysts, in ``docs/synthetic.md``). Because the truth is known, the
population shows what real data cannot: the true re-offence behind each recorded re-arrest, and
how recording bias and measurement error turn a world without ethnic effects into biased records.
All coefficients are module-level constants; tests refer to them by name.

Demographics (exogenous)
------------------------
* ``sex``: male with probability ``MALE_SHARE`` = 0.92.
* ``ethnicity``: ``ETHNICITY_SHARES`` (mestizo 0.55, indigenous 0.10, afrodescendant 0.15,
  white 0.15, other 0.05).
* ``nationality``: foreign with probability ``FOREIGN_SHARE`` = 0.065 (e.g. Venezuelan migrants).
* ``age`` at release: ``18 + floor(Gamma(shape 2.2, scale 7))``, at most 80 (mean about 33).

Latent need severities
----------------------
A general factor ``G ~ N(0, 1)`` and one severity ``Z_d`` per need domain ``d`` (the ten
``NeedDomain`` values)::

    Z_d = LATENT_LOADINGS[d] * G + sqrt(1 - LATENT_LOADINGS[d]**2) * e_d        e_d ~ N(0, 1)
          + LATENT_SHIFTS[(attribute, value)][d]     for each shift that applies to the person
          + LATENT_AGE_SLOPES[d] * (age - 35) / 10

Domains correlate through ``G`` (correlation ``loading_d * loading_k``). The shifts are the only
paths from ethnicity and nationality to anything that matters for re-offence:

* indigenous: education/employment +0.40, housing +0.20 (structural disadvantage);
* afrodescendant: education/employment +0.30, housing +0.20;
* white: education/employment -0.20;
* foreign nationals: education/employment +0.20 (work permits), housing +0.50;
* women: antisocial pattern -0.30, companions -0.30, mental health +0.40.

Age slopes per decade above 35: companions -0.15, leisure/recreation -0.10, antisocial -0.10.

Observed features (noisy proxies of the latents)
------------------------------------------------
Ordinal and binary proxies: ``s = r * (+/-Z_d) + sqrt(1 - r**2) * u``, ``u ~ N(0, 1)``,
``r = PROXY_RELIABILITY[feature]``, cut at ``PROXY_CUTPOINTS[feature]`` (category k when s lies
between cut k-1 and cut k):

* ``education_level`` (r 0.75) and ``employment_prospect`` (r 0.80) from
  ``-Z_education_employment``; ``housing`` (0.85) from ``Z_housing``; ``substance_use`` (0.90)
  from ``Z_substance_use``; ``mental_health_condition`` (0.85) from ``Z_mental_health``;
  ``gang_affiliation`` (0.80) from ``Z_companions``.
* ``gang_affiliation`` is missing (pandas nullable ``Int8``, ``<NA>``) for a share
  ``gang_missing_share`` (3 %) of people, completely at random: not known to the administration.

Counts and the rest:

* ``offence_type``: multinomial logit, ``OFFENCE_INTERCEPTS`` plus ``OFFENCE_EFFECTS`` (substance
  use raises drugs and property offences; antisocial pattern and companions raise violent ones;
  foreign nationals and women are more often sentenced for drugs, women less for violent and
  sexual offences).
* ``sentence_months``: log-normal with median ``SENTENCE_MEDIAN_MONTHS[offence]`` (property 30,
  drugs 54, violent 84, sexual 120, other 24) times ``exp(0.15 * Z_criminal_history)``, log-sd
  0.55; at most 600 and ``(age - 16) * 12``.
* ``pretrial_months``: ``Gamma(1.3, 8)`` months, times 1.5 for foreign nationals (no fixed
  address, bail refused), at most the sentence and 120. Long pretrial detention is common
  (about 30 % wait over a year). It has no effect on re-offence.
* ``age_first_arrest``: ``floor(12 + 9 * exp(-0.35 Z_criminal_history - 0.15
  Z_antisocial_pattern + 0.35 u))``, at most ``age - ceil(sentence_months / 12)``, so never above
  ``age``.
* ``prior_convictions`` (true count): Poisson-gamma (gamma shape 2) with mean
  ``exp(-0.60 + 0.80 Z_criminal_history) * sqrt(1 + years at liberty since the first arrest)``,
  at most 60 (mean about 2.3; 40 % have none).
* ``disciplinary_reports``: Poisson, log-mean ``-0.7 + 0.6 Z_antisocial_pattern + 0.2
  Z_companions + 0.6 log(sentence_months / 24)``, at most 100.
* ``prison_work``, ``prison_education``, ``treatment_completed``: logistic in
  ``Z_education_employment``, ``Z_procriminal_attitudes``, ``Z_antisocial_pattern`` and
  ``log(sentence_months / 24)`` (longer sentences give more opportunity): ``PROGRAMME_EFFECTS``.
* ``family_visits_month``: Poisson with mean ``2.2 * exp(-0.6 Z_family_marital)``, times 0.25
  for foreign nationals, whose families are far away. The proxy is distorted for them while
  their family need is not.

Need labels (what a full assessment finds)
------------------------------------------
``need_d = 1[Z_d + 0.35 * u > NEED_THRESHOLDS[d]]`` (prevalences 20 % to 45 %).

True re-offence
---------------
::

    logit P(reoffence_24m = 1) = -0.70 + sum_k REOFFENCE_COEFFICIENTS[k] * term_k

with these terms (``SyntheticPopulation.terms``):

============================  =====================================  ===========
term                          definition                             coefficient
============================  =====================================  ===========
age_decades                   (age - 35) / 10                        -0.30
log1p_prior_convictions       log(1 + true prior_convictions)        +0.40
age_first_arrest_decades      (age_first_arrest - 20) / 10           -0.25
female                        sex == "female"                        -0.30
treatment_completed           treatment_completed                    -0.20
employment_formal             employment_prospect == "formal"        -0.30
employment_informal           employment_prospect == "informal"      -0.10
latent_antisocial_pattern     Z_antisocial_pattern                   +0.25
latent_procriminal_attitudes  Z_procriminal_attitudes                +0.25
latent_companions             Z_companions                           +0.20
latent_substance_use          Z_substance_use                        +0.20
latent_education_employment   Z_education_employment                 +0.10
latent_family_marital         Z_family_marital                       +0.10
latent_leisure_recreation     Z_leisure_recreation                   +0.10
latent_housing                Z_housing                              +0.10
============================  =====================================  ===========

Criminal history acts through the prior record and age at first arrest; mental health is a
responsivity need with no direct effect. The true re-offence rate is about 40 %, and the true
logit ranks people with an AUC of about 0.77.

**Ethnicity and nationality have no direct effect on true re-offence.** Group differences in the
truth flow only through the stated mediators: the education/employment and housing severities
(and from them employment prospects). They amount to one or two percentage points (indigenous
42 %, mestizo 40 %, white 39 %).

Recording (what real data measures)
-----------------------------------
``rearrest_24m`` is the recorded re-offence. A true re-offence is recorded with probability
``detection_rate`` (0.60), ``detection_rate * policing_ratio`` for ``over_policed_group``; a
person who did not re-offend is falsely re-arrested with probability ``false_arrest_rate``
(0.03), ``false_arrest_rate * policing_ratio`` for that group. With ``policing_ratio > 1``
(default 1.5) the recorded label overstates the group's risk (label bias): a model trained on
re-arrests learns it, and against the truth its false positives rise for the group.
``policing_ratio = 1.0`` removes it.

With ``measurement_error > 0`` (default 0.3) the recorded ``prior_convictions`` of
``mismeasured_group`` is the true count plus ``Poisson(measurement_error * (true + 1))``, capped
at 60: over-recorded and noisier (feature bias). The truth, the sentence and the need labels
use the true count.

Each block of the model draws from its own child of ``numpy.random.default_rng(seed)``, so two
populations with the same seed and different knobs hold the same people and the same true
outcomes: only the columns a knob distorts differ.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from riskkit.errors import RiskkitError
from riskkit.features.registry import NeedDomain

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.signedinteger[Any]]
BoolArray = npt.NDArray[np.bool_]

ID_COLUMN: Final = "person_id"
ID_PREFIX: Final = "SYN-"
ID_DIGITS: Final = 7

DOMAINS: Final[tuple[str, ...]] = tuple(d.value for d in NeedDomain)
NEED_COLUMNS: Final[tuple[str, ...]] = tuple(f"need_{d}" for d in DOMAINS)
FEATURE_COLUMNS: Final[tuple[str, ...]] = (
    "age",
    "sex",
    "prior_convictions",
    "gang_affiliation",
    "ethnicity",
    "nationality",
    "offence_type",
    "sentence_months",
    "pretrial_months",
    "age_first_arrest",
    "disciplinary_reports",
    "prison_work",
    "prison_education",
    "treatment_completed",
    "family_visits_month",
    "education_level",
    "employment_prospect",
    "housing",
    "substance_use",
    "mental_health_condition",
)
OUTCOME_COLUMNS: Final[tuple[str, ...]] = ("reoffence_24m", "rearrest_24m", *NEED_COLUMNS)
COLUMNS: Final[tuple[str, ...]] = (ID_COLUMN, *FEATURE_COLUMNS, *OUTCOME_COLUMNS)

# Category orders must match the registry declarations (codes are positions in these tuples).
SEXES: Final = ("female", "male")
ETHNICITIES: Final = ("mestizo", "indigenous", "afrodescendant", "white", "other")
NATIONALITIES: Final = ("national", "foreign")
OFFENCE_TYPES: Final = ("property", "drugs", "violent", "sexual", "other")
EDUCATION_LEVELS: Final = ("none", "primary", "secondary", "tertiary")
EMPLOYMENT_PROSPECTS: Final = ("none", "informal", "formal")
HOUSING_SITUATIONS: Final = ("stable", "temporary", "homeless")
SUBSTANCE_USE_LEVELS: Final = ("none", "occasional", "problematic")

# --- demographics -------------------------------------------------------------------------
MALE_SHARE: Final = 0.92
ETHNICITY_SHARES: Final[Mapping[str, float]] = MappingProxyType(
    {"mestizo": 0.55, "indigenous": 0.10, "afrodescendant": 0.15, "white": 0.15, "other": 0.05}
)
FOREIGN_SHARE: Final = 0.065
AGE_MIN: Final = 18
AGE_MAX: Final = 80
AGE_GAMMA_SHAPE: Final = 2.2
AGE_GAMMA_SCALE: Final = 7.0

# --- latent need severities ----------------------------------------------------------------
LATENT_LOADINGS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "criminal_history": 0.70,
        "education_employment": 0.45,
        "family_marital": 0.40,
        "leisure_recreation": 0.50,
        "companions": 0.60,
        "substance_use": 0.50,
        "procriminal_attitudes": 0.65,
        "antisocial_pattern": 0.70,
        "housing": 0.40,
        "mental_health": 0.30,
    }
)
LATENT_SHIFTS: Final[Mapping[tuple[str, str], Mapping[str, float]]] = MappingProxyType(
    {
        ("ethnicity", "indigenous"): {"education_employment": 0.40, "housing": 0.20},
        ("ethnicity", "afrodescendant"): {"education_employment": 0.30, "housing": 0.20},
        ("ethnicity", "white"): {"education_employment": -0.20},
        ("nationality", "foreign"): {"education_employment": 0.20, "housing": 0.50},
        ("sex", "female"): {
            "antisocial_pattern": -0.30,
            "companions": -0.30,
            "mental_health": 0.40,
        },
    }
)
LATENT_AGE_SLOPES: Final[Mapping[str, float]] = MappingProxyType(
    {"companions": -0.15, "leisure_recreation": -0.10, "antisocial_pattern": -0.10}
)

# --- proxies -------------------------------------------------------------------------------
PROXY_RELIABILITY: Final[Mapping[str, float]] = MappingProxyType(
    {
        "education_level": 0.75,
        "employment_prospect": 0.80,
        "housing": 0.85,
        "substance_use": 0.90,
        "mental_health_condition": 0.85,
        "gang_affiliation": 0.80,
    }
)
PROXY_CUTPOINTS: Final[Mapping[str, tuple[float, ...]]] = MappingProxyType(
    {
        "education_level": (-1.40, 0.10, 1.50),
        "employment_prospect": (-0.10, 1.05),
        "housing": (0.30, 1.30),
        "substance_use": (-0.05, 0.75),
        "mental_health_condition": (1.00,),
        "gang_affiliation": (1.00,),
    }
)
OFFENCE_INTERCEPTS: Final[Mapping[str, float]] = MappingProxyType(
    {"property": 0.60, "drugs": 0.00, "violent": -0.10, "sexual": -2.30, "other": -1.00}
)
OFFENCE_EFFECTS: Final[Mapping[str, Mapping[str, float]]] = MappingProxyType(
    {
        "property": {"substance_use": 0.30, "education_employment": 0.20},
        "drugs": {"substance_use": 0.60, "foreign": 1.00, "female": 1.00},
        "violent": {"antisocial_pattern": 0.50, "companions": 0.30, "female": -0.80},
        "sexual": {"female": -3.00},
        "other": {},
    }
)
SENTENCE_MEDIAN_MONTHS: Final[Mapping[str, float]] = MappingProxyType(
    {"property": 30.0, "drugs": 54.0, "violent": 84.0, "sexual": 120.0, "other": 24.0}
)
SENTENCE_CRIMINAL_HISTORY: Final = 0.15
SENTENCE_LOG_SD: Final = 0.55
SENTENCE_MIN_AGE: Final = 16
PRETRIAL_GAMMA_SHAPE: Final = 1.3
PRETRIAL_GAMMA_SCALE: Final = 8.0
PRETRIAL_FOREIGN_FACTOR: Final = 1.5
PRIORS_LOG_BASE: Final = -0.60
PRIORS_CRIMINAL_HISTORY: Final = 0.80
PRIORS_GAMMA_SHAPE: Final = 2.0
PRIORS_MAX: Final = 60
PROGRAMME_EFFECTS: Final[Mapping[str, Mapping[str, float]]] = MappingProxyType(
    {
        "prison_work": {
            "intercept": 0.00,
            "education_employment": -0.50,
            "antisocial_pattern": -0.30,
            "log_sentence": 0.40,
        },
        "prison_education": {
            "intercept": -0.50,
            "procriminal_attitudes": -0.40,
            "log_sentence": 0.30,
        },
        "treatment_completed": {
            "intercept": -0.70,
            "procriminal_attitudes": -0.50,
            "antisocial_pattern": -0.20,
            "log_sentence": 0.30,
        },
    }
)
FIRST_ARREST_MIN_AGE: Final = 12
FIRST_ARREST_MEDIAN_EXCESS: Final = 9.0
FIRST_ARREST_EFFECTS: Final[Mapping[str, float]] = MappingProxyType(
    {"criminal_history": -0.35, "antisocial_pattern": -0.15}
)
FIRST_ARREST_LOG_SD: Final = 0.35
DISCIPLINARY_EFFECTS: Final[Mapping[str, float]] = MappingProxyType(
    {"intercept": -0.70, "antisocial_pattern": 0.60, "companions": 0.20, "log_sentence": 0.60}
)
FAMILY_VISITS_MEAN: Final = 2.2
FAMILY_VISITS_EFFECT: Final = -0.60
FOREIGN_VISIT_FACTOR: Final = 0.25

# --- need labels ---------------------------------------------------------------------------
NEED_ASSESSMENT_NOISE: Final = 0.35
NEED_THRESHOLDS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "criminal_history": 0.25,
        "education_employment": 0.20,
        "family_marital": 0.55,
        "leisure_recreation": 0.25,
        "companions": 0.40,
        "substance_use": 0.40,
        "procriminal_attitudes": 0.55,
        "antisocial_pattern": 0.55,
        "housing": 0.55,
        "mental_health": 0.90,
    }
)

# --- true re-offence -----------------------------------------------------------------------
REOFFENCE_INTERCEPT: Final = -0.70
REOFFENCE_COEFFICIENTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "age_decades": -0.30,
        "log1p_prior_convictions": 0.40,
        "age_first_arrest_decades": -0.25,
        "female": -0.30,
        "treatment_completed": -0.20,
        "employment_formal": -0.30,
        "employment_informal": -0.10,
        "latent_antisocial_pattern": 0.25,
        "latent_procriminal_attitudes": 0.25,
        "latent_companions": 0.20,
        "latent_substance_use": 0.20,
        "latent_education_employment": 0.10,
        "latent_family_marital": 0.10,
        "latent_leisure_recreation": 0.10,
        "latent_housing": 0.10,
    }
)

_STREAMS: Final = (
    "demographics",
    "latent",
    "features",
    "needs",
    "reoffence",
    "recording",
    "measurement",
    "missingness",
)


@dataclass(frozen=True)
class SyntheticSettings:
    """The knobs of the synthetic population.

    Parameters
    ----------
    over_policed_group : str, default "afrodescendant"
        Ethnicity whose re-offences (and non-offences, as false arrests) are recorded more often.
    policing_ratio : float, default 1.5
        How many times more likely a re-offence, and a false arrest, is recorded for
        ``over_policed_group`` than for everyone else. 1.0 means no recording bias; values
        below 1 mean the group is under-policed. Must be positive, and keep
        ``detection_rate * policing_ratio <= 1``.
    mismeasured_group : str, default "indigenous"
        Ethnicity whose recorded ``prior_convictions`` carries measurement error.
    measurement_error : float, default 0.3
        Expected extra recorded convictions per true conviction (plus one) for
        ``mismeasured_group``: recorded = true + Poisson(measurement_error * (true + 1)).
        0.0 means none.
    detection_rate : float, default 0.6
        Probability that a true re-offence leads to a recorded re-arrest (everyone else).
    false_arrest_rate : float, default 0.03
        Probability that a person who did not re-offend is re-arrested (everyone else).
    gang_missing_share : float, default 0.03
        Share of ``gang_affiliation`` left missing, completely at random.
    """

    over_policed_group: str = "afrodescendant"
    policing_ratio: float = 1.5
    mismeasured_group: str = "indigenous"
    measurement_error: float = 0.3
    detection_rate: float = 0.6
    false_arrest_rate: float = 0.03
    gang_missing_share: float = 0.03

    def __post_init__(self) -> None:
        for name in ("over_policed_group", "mismeasured_group"):
            value = getattr(self, name)
            if value not in ETHNICITIES:
                raise RiskkitError(
                    f"SyntheticSettings.{name}={value!r} is not an ethnicity of the synthetic "
                    f"population; use one of {', '.join(ETHNICITIES)}"
                )
        for name, low, high in (
            ("policing_ratio", 0.0, math.inf),
            ("measurement_error", 0.0, math.inf),
            ("detection_rate", 0.0, 1.0),
            ("false_arrest_rate", 0.0, 1.0),
            ("gang_missing_share", 0.0, 1.0),
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not low <= value <= high
            ):
                allowed = f">= {low:g}" if math.isinf(high) else f"between {low:g} and {high:g}"
                raise RiskkitError(
                    f"SyntheticSettings.{name}={value!r} is not allowed; use a number {allowed}"
                )
        if self.policing_ratio == 0:
            raise RiskkitError(
                "SyntheticSettings.policing_ratio=0 would never record a re-offence for "
                f"{self.over_policed_group!r}; use a positive ratio (1.0 = no recording bias)"
            )
        for name in ("detection_rate", "false_arrest_rate"):
            rate = getattr(self, name)
            if rate * self.policing_ratio > 1:
                raise RiskkitError(
                    f"SyntheticSettings.policing_ratio={self.policing_ratio!r} with "
                    f"{name}={rate!r} gives {self.over_policed_group!r} a probability of "
                    f"{rate * self.policing_ratio:.3g}, above 1; lower {name} to at most "
                    f"{1 / self.policing_ratio:.3g} or lower policing_ratio"
                )


@dataclass(frozen=True)
class SyntheticPopulation:
    """A generated population with the quantities real data never shows.

    Attributes
    ----------
    frame : DataFrame
        The records, as :func:`generate_population` returns them.
    latent : DataFrame
        Per person: ``general`` (the factor G), one column per need domain (the severities
        ``Z_d``) and ``prior_convictions_true`` (before measurement error).
    terms : DataFrame
        The terms of the true re-offence logit, named as in ``REOFFENCE_COEFFICIENTS``.
    true_logit : ndarray
        ``REOFFENCE_INTERCEPT + terms @ coefficients``: the log-odds of true re-offence.
    """

    frame: pd.DataFrame
    latent: pd.DataFrame
    terms: pd.DataFrame
    true_logit: FloatArray


def generate_population(
    rows: int, seed: int = 0, settings: SyntheticSettings | None = None
) -> pd.DataFrame:
    """Generate a synthetic population of people released from prison.

    Parameters
    ----------
    rows : int
        Number of people (at least 1).
    seed : int, default 0
        Seed for ``numpy.random.default_rng``; the same seed and settings give an identical
        frame.
    settings : SyntheticSettings, optional
        The knobs (recording bias, measurement error...); defaults to ``SyntheticSettings()``.

    Returns
    -------
    DataFrame
        ``person_id``, every feature of the synthetic population, ``reoffence_24m`` (true
        behaviour), ``rearrest_24m`` (what is recorded) and the ten ``need_<domain>`` labels.
        Integer features are ``int64``; binary features and outcomes ``int8`` 0/1, except
        ``gang_affiliation`` (nullable ``Int8`` with a few ``<NA>``); categorical features are
        ``Categorical`` with the registry's categories in registry order.

    Raises
    ------
    RiskkitError
        For ``rows < 1``, a negative or non-integer seed, or settings of the wrong type.

    Examples
    --------
    >>> frame = generate_population(1_000, seed=1)
    >>> frame["reoffence_24m"].mean()  # doctest: +SKIP
    0.41
    """
    return _simulate(rows, seed, settings)[0]


def simulate_population(
    rows: int, seed: int = 0, settings: SyntheticSettings | None = None
) -> SyntheticPopulation:
    """Generate a population together with its latent severities and true re-offence logit.

    Takes the same arguments as :func:`generate_population`, whose frame it returns in
    ``frame``; the other attributes let tests and teaching material check the stated causal
    structure (for example, that ethnicity adds nothing to the true logit).
    """
    frame, truth, terms, true_logit = _simulate(rows, seed, settings)
    return SyntheticPopulation(
        frame=frame,
        latent=pd.DataFrame(truth),
        terms=pd.DataFrame(terms),
        true_logit=true_logit,
    )


def _simulate(
    rows: object, seed: object, settings: object
) -> tuple[pd.DataFrame, dict[str, FloatArray | CodeArray], dict[str, FloatArray], FloatArray]:
    """The frame, then the latent quantities, logit terms and true logit as plain arrays (so
    that :func:`generate_population` does not pay for frames it does not return)."""
    rows, seed, settings = _check_arguments(rows, seed, settings)
    streams = dict(zip(_STREAMS, np.random.default_rng(seed).spawn(len(_STREAMS)), strict=True))

    # demographics
    rng = streams["demographics"]
    female = rng.random(rows) >= MALE_SHARE
    ethnicity = _draw_codes(rng, np.array([ETHNICITY_SHARES[e] for e in ETHNICITIES]), rows)
    foreign = rng.random(rows) < FOREIGN_SHARE
    age = np.minimum(
        AGE_MIN + np.floor(rng.gamma(AGE_GAMMA_SHAPE, AGE_GAMMA_SCALE, rows)), AGE_MAX
    ).astype(np.int64)

    # latent severities
    rng = streams["latent"]
    general = rng.standard_normal(rows)
    loadings = np.array([LATENT_LOADINGS[d] for d in DOMAINS])
    latent = rng.standard_normal((rows, len(DOMAINS)))
    latent *= np.sqrt(1.0 - loadings**2)
    latent += general[:, None] * loadings
    masks: dict[tuple[str, str], BoolArray] = {
        ("sex", "female"): female,
        ("nationality", "foreign"): foreign,
        **{("ethnicity", e): ethnicity == i for i, e in enumerate(ETHNICITIES)},
    }
    for key, shifts in LATENT_SHIFTS.items():
        for domain, shift in shifts.items():
            latent[masks[key], DOMAINS.index(domain)] += shift
    age_decades = (age - 35) / 10.0
    for domain, slope in LATENT_AGE_SLOPES.items():
        latent[:, DOMAINS.index(domain)] += slope * age_decades
    z = {d: latent[:, i] for i, d in enumerate(DOMAINS)}

    # observed features
    features = _features(streams["features"], z, age, female, foreign)
    priors_true = features.pop("prior_convictions")

    # need labels
    rng = streams["needs"]
    noise = rng.standard_normal((rows, len(DOMAINS)))
    noise *= NEED_ASSESSMENT_NOISE
    noise += latent
    thresholds = np.array([NEED_THRESHOLDS[d] for d in DOMAINS])
    needs = (noise > thresholds).astype(np.int8)
    del noise

    # true re-offence
    employment = features["employment_prospect"]
    available: dict[str, FloatArray] = {
        "age_decades": age_decades,
        "log1p_prior_convictions": np.log1p(priors_true),
        "age_first_arrest_decades": (features["age_first_arrest"] - 20) / 10.0,
        "female": female.astype(np.float64),
        "treatment_completed": features["treatment_completed"].astype(np.float64),
        "employment_formal": (employment == EMPLOYMENT_PROSPECTS.index("formal")).astype(
            np.float64
        ),
        "employment_informal": (employment == EMPLOYMENT_PROSPECTS.index("informal")).astype(
            np.float64
        ),
        **{f"latent_{d}": z[d] for d in DOMAINS},
    }
    terms = {name: available[name] for name in REOFFENCE_COEFFICIENTS}
    true_logit: FloatArray = np.full(rows, REOFFENCE_INTERCEPT, dtype=np.float64)
    for name, coefficient in REOFFENCE_COEFFICIENTS.items():
        true_logit += coefficient * terms[name]
    reoffence = streams["reoffence"].random(rows) < _sigmoid(true_logit)

    # recording
    rng = streams["recording"]
    detected = rng.random(rows)
    false_arrest = rng.random(rows)
    over_policed = ethnicity == ETHNICITIES.index(settings.over_policed_group)
    ratio = np.where(over_policed, settings.policing_ratio, 1.0)
    rearrest = np.where(
        reoffence,
        detected < settings.detection_rate * ratio,
        false_arrest < settings.false_arrest_rate * ratio,
    )

    # measurement error in the recorded prior record
    rng = streams["measurement"]
    extra = rng.poisson(settings.measurement_error * (priors_true + 1.0))
    mismeasured = ethnicity == ETHNICITIES.index(settings.mismeasured_group)
    priors_recorded = np.minimum(
        np.where(mismeasured, priors_true + extra, priors_true), PRIORS_MAX
    )

    gang = pd.array(features.pop("gang_affiliation"), dtype="Int8")
    gang[streams["missingness"].random(rows) < settings.gang_missing_share] = pd.NA

    data: dict[str, object] = {
        ID_COLUMN: _person_ids(rows),
        "age": age,
        "sex": _categorical(female.astype(np.int8) ^ 1, SEXES),
        "prior_convictions": priors_recorded,
        "gang_affiliation": gang,
        "ethnicity": _categorical(ethnicity, ETHNICITIES),
        "nationality": _categorical(foreign.astype(np.int8), NATIONALITIES),
        "offence_type": _categorical(features.pop("offence_type"), OFFENCE_TYPES),
        "education_level": _categorical(features.pop("education_level"), EDUCATION_LEVELS),
        "employment_prospect": _categorical(
            features.pop("employment_prospect"), EMPLOYMENT_PROSPECTS
        ),
        "housing": _categorical(features.pop("housing"), HOUSING_SITUATIONS),
        "substance_use": _categorical(features.pop("substance_use"), SUBSTANCE_USE_LEVELS),
        **features,
        "reoffence_24m": reoffence.astype(np.int8),
        "rearrest_24m": rearrest.astype(np.int8),
        **{column: needs[:, i] for i, column in enumerate(NEED_COLUMNS)},
    }
    frame = pd.DataFrame({column: data[column] for column in COLUMNS})
    truth: dict[str, FloatArray | CodeArray] = {
        "general": general,
        **z,
        "prior_convictions_true": priors_true,
    }
    return frame, truth, terms, true_logit


def _check_arguments(
    rows: object, seed: object, settings: object
) -> tuple[int, int, SyntheticSettings]:
    if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or rows < 1:
        raise RiskkitError(
            f"rows={rows!r} is not a number of people; pass a whole number of at least 1 "
            "(e.g. rows=10_000)"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise RiskkitError(
            f"seed={seed!r} is not a valid seed; pass a whole number >= 0 (e.g. seed=0)"
        )
    if settings is None:
        settings = SyntheticSettings()
    elif not isinstance(settings, SyntheticSettings):
        raise RiskkitError(
            f"settings={settings!r} is a {type(settings).__name__}, not SyntheticSettings; "
            "pass SyntheticSettings(...) or leave it out for the defaults"
        )
    return int(rows), int(seed), settings


def _features(
    rng: np.random.Generator,
    z: Mapping[str, FloatArray],
    age: IntArray,
    female: BoolArray,
    foreign: BoolArray,
) -> dict[str, CodeArray]:
    """The observed features (prior convictions before measurement error), as codes or counts."""
    rows: int = age.shape[0]
    out: dict[str, CodeArray] = {}

    # Gumbel-max draws from the multinomial logit in one vectorised step.
    scores = -np.log(-np.log(rng.random((rows, len(OFFENCE_TYPES)))))
    covariates = {**z, "female": female.astype(np.float64), "foreign": foreign.astype(np.float64)}
    for i, offence in enumerate(OFFENCE_TYPES):
        scores[:, i] += OFFENCE_INTERCEPTS[offence]
        for name, effect in OFFENCE_EFFECTS[offence].items():
            scores[:, i] += effect * covariates[name]
    offence_code = scores.argmax(axis=1).astype(np.int8)
    del scores

    median = np.array([SENTENCE_MEDIAN_MONTHS[o] for o in OFFENCE_TYPES])[offence_code]
    log_sentence = (
        np.log(median)
        + SENTENCE_CRIMINAL_HISTORY * z["criminal_history"]
        + SENTENCE_LOG_SD * rng.standard_normal(rows)
    )
    sentence = np.clip(
        np.rint(np.exp(log_sentence)), 1, np.minimum(600, (age - SENTENCE_MIN_AGE) * 12)
    )
    sentence = sentence.astype(np.int64)
    out["sentence_months"] = sentence

    pretrial = rng.gamma(PRETRIAL_GAMMA_SHAPE, PRETRIAL_GAMMA_SCALE, size=rows)
    pretrial[foreign] *= PRETRIAL_FOREIGN_FACTOR
    out["pretrial_months"] = np.minimum(np.rint(pretrial), np.minimum(sentence, 120)).astype(
        np.int64
    )

    served_years = -(-sentence // 12)
    log_excess = _linear(FIRST_ARREST_EFFECTS, z, rows)
    log_excess += np.log(FIRST_ARREST_MEDIAN_EXCESS)
    log_excess += FIRST_ARREST_LOG_SD * rng.standard_normal(rows)
    first_arrest = FIRST_ARREST_MIN_AGE + np.exp(log_excess)
    first_arrest = np.minimum(np.floor(first_arrest).astype(np.int64), age - served_years)
    out["age_first_arrest"] = first_arrest

    years_free = np.maximum(age - first_arrest - sentence / 12.0, 0.0)
    prior_mean = np.exp(PRIORS_LOG_BASE + PRIORS_CRIMINAL_HISTORY * z["criminal_history"])
    prior_mean *= np.sqrt(1.0 + years_free)
    prior_mean *= rng.gamma(PRIORS_GAMMA_SHAPE, 1.0 / PRIORS_GAMMA_SHAPE, rows)
    out["prior_convictions"] = np.minimum(rng.poisson(prior_mean), PRIORS_MAX).astype(np.int64)

    in_prison = {**z, "log_sentence": np.log(sentence / 24.0)}
    log_reports = _linear(DISCIPLINARY_EFFECTS, in_prison, rows)
    out["disciplinary_reports"] = np.minimum(rng.poisson(np.exp(log_reports)), 100).astype(np.int64)

    for name, effects in PROGRAMME_EFFECTS.items():
        logit = _linear(effects, in_prison, rows)
        out[name] = (rng.random(rows) < _sigmoid(logit)).astype(np.int8)

    visits = FAMILY_VISITS_MEAN * np.exp(FAMILY_VISITS_EFFECT * z["family_marital"])
    visits[foreign] *= FOREIGN_VISIT_FACTOR
    out["family_visits_month"] = np.minimum(rng.poisson(visits), 31).astype(np.int64)

    for name, domain, sign in (
        ("education_level", "education_employment", -1.0),
        ("employment_prospect", "education_employment", -1.0),
        ("housing", "housing", 1.0),
        ("substance_use", "substance_use", 1.0),
        ("mental_health_condition", "mental_health", 1.0),
        ("gang_affiliation", "companions", 1.0),
    ):
        r = PROXY_RELIABILITY[name]
        score = sign * r * z[domain] + math.sqrt(1.0 - r * r) * rng.standard_normal(rows)
        out[name] = np.searchsorted(np.array(PROXY_CUTPOINTS[name]), score).astype(np.int8)

    out["offence_type"] = offence_code
    return out


def _linear(
    effects: Mapping[str, float], covariates: Mapping[str, FloatArray], rows: int
) -> FloatArray:
    """``intercept + sum(effect * covariate)`` over the named covariates."""
    result: FloatArray = np.full(rows, effects.get("intercept", 0.0), dtype=np.float64)
    for name, effect in effects.items():
        if name != "intercept":
            result += effect * covariates[name]
    return result


def _draw_codes(rng: np.random.Generator, shares: FloatArray, rows: int) -> npt.NDArray[np.int8]:
    cumulative = np.cumsum(shares / shares.sum())
    codes = np.searchsorted(cumulative, rng.random(rows), side="right")
    return np.minimum(codes, len(shares) - 1).astype(np.int8)


def _sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return result


def _categorical(
    codes: npt.NDArray[np.signedinteger[Any]], categories: tuple[str, ...]
) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=pd.Index(categories))


def _person_ids(rows: int) -> pd.Series:
    """``SYN-0000001``... built as one Arrow string buffer (about 50 times faster than
    formatting a million Python strings)."""
    digits = max(ID_DIGITS, len(str(rows)))
    width = len(ID_PREFIX) + digits
    numbers = np.arange(1, rows + 1, dtype=np.int64)
    text = np.empty((rows, width), dtype=np.uint8)
    text[:, : len(ID_PREFIX)] = np.frombuffer(ID_PREFIX.encode("ascii"), dtype=np.uint8)
    for position in range(digits):
        text[:, width - 1 - position] = numbers // 10**position % 10 + ord("0")
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int64)
    array = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(text))
    return pd.Series(array, dtype="str")
