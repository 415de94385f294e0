"""Variables the NIJ Georgia adapter adds (NIJ Recidivism Forecasting Challenge, parolees released
in Georgia in 2013-2015).

Names carry the ``nij_`` prefix where the meaning (or the banding) is specific to that release.
Counts that NIJ top-coded ("10 or more") are integers whose maximum is the cap: the value at the
maximum means "that many or more". Sex, race (``race_us``) and gang affiliation reuse the shared
declarations. Pre-release variables are known at release; the ``nij_`` supervision variables
(violations, drug tests, employment, programme attendance) are recorded *during* parole, so a
model predicting from release must not use them.
"""

from __future__ import annotations

from typing import Literal

from riskkit.features.registry import Feature, Labels, NeedDomain, Outcome

_PRE_RELEASE = "Known at release."
_SUPERVISION = "Recorded during parole supervision, after release (not a pre-release predictor)."


def _count(
    name: str,
    labels: Labels,
    cap: int,
    description: str,
    *,
    domain: NeedDomain | None = NeedDomain.CRIMINAL_HISTORY,
    monotone: Literal[-1, 0, 1] = 1,
    changeable: bool = False,
    nullable: bool = False,
    when: str = _PRE_RELEASE,
) -> Feature:
    """A count NIJ top-codes at ``cap`` (``cap`` means "cap or more")."""
    return Feature(
        name=name,
        kind="integer",
        labels=labels,
        changeable=changeable,
        domain=domain,
        monotone=monotone,
        minimum=0,
        maximum=cap,
        nullable=nullable,
        description=f"{description} Top-coded at {cap} ({cap} means {cap} or more). {when}",
    )


def _flag(
    name: str,
    labels: Labels,
    description: str,
    *,
    domain: NeedDomain | None = NeedDomain.CRIMINAL_HISTORY,
    monotone: Literal[-1, 0, 1] = 0,
    changeable: bool = False,
    nullable: bool = False,
    when: str = _PRE_RELEASE,
) -> Feature:
    """A yes/no variable (1 = yes)."""
    return Feature(
        name=name,
        kind="binary",
        labels=labels,
        changeable=changeable,
        domain=domain,
        monotone=monotone,
        nullable=nullable,
        description=f"{description} (1 = yes). {when}",
    )


def _share(
    name: str,
    labels: Labels,
    description: str,
    domain: NeedDomain,
    monotone: Literal[-1, 0, 1],
) -> Feature:
    """A proportion (0-1) measured during supervision."""
    return Feature(
        name=name,
        kind="numeric",
        labels=labels,
        changeable=True,
        domain=domain,
        monotone=monotone,
        minimum=0.0,
        maximum=1.0,
        nullable=True,
        description=f"{description} {_SUPERVISION}",
    )


_PRE_RELEASE_FEATURES: list[Feature] = [
    Feature(
        name="nij_age_at_release",
        kind="categorical",
        labels=Labels(
            es="Edad al egreso (tramo)", pt="Idade na saída (faixa)", en="Age at release (band)"
        ),
        changeable=False,
        categories=("18_22", "23_27", "28_32", "33_37", "38_42", "43_47", "48_or_older"),
        category_labels={
            "18_22": Labels(es="18 a 22", pt="18 a 22", en="18 to 22"),
            "23_27": Labels(es="23 a 27", pt="23 a 27", en="23 to 27"),
            "28_32": Labels(es="28 a 32", pt="28 a 32", en="28 to 32"),
            "33_37": Labels(es="33 a 37", pt="33 a 37", en="33 to 37"),
            "38_42": Labels(es="38 a 42", pt="38 a 42", en="38 to 42"),
            "43_47": Labels(es="43 a 47", pt="43 a 47", en="43 to 47"),
            "48_or_older": Labels(es="48 o más", pt="48 ou mais", en="48 or older"),
        },
        description="Age at release from prison, in NIJ's five-year bands (NIJ releases no "
        "exact age). " + _PRE_RELEASE,
    ),
    Feature(
        name="nij_residence_puma",
        kind="categorical",
        labels=Labels(
            es="Zona de residencia (PUMA)",
            pt="Área de residência (PUMA)",
            en="Residence area (PUMA)",
        ),
        changeable=False,
        categories=tuple(str(code) for code in range(1, 26)),
        description="Public Use Microdata Area (1-25, Georgia) of the residence at release. A "
        "geographic area can stand in for race: audit before using it as an input. " + _PRE_RELEASE,
    ),
    Feature(
        name="nij_supervision_risk_score",
        kind="integer",
        labels=Labels(
            es="Puntuación de riesgo de supervisión inicial",
            pt="Pontuação de risco de supervisão inicial",
            en="First supervision risk score",
        ),
        changeable=False,
        monotone=1,
        minimum=1,
        maximum=10,
        nullable=True,
        description="Georgia's own risk-assessment score (1-10) at the start of parole "
        "supervision. " + _PRE_RELEASE,
    ),
    Feature(
        name="nij_supervision_level",
        kind="categorical",
        labels=Labels(
            es="Nivel de supervisión inicial",
            pt="Nível de supervisão inicial",
            en="First supervision level",
        ),
        changeable=False,
        categories=("standard", "high", "specialized"),
        category_labels={
            "standard": Labels(es="estándar", pt="padrão", en="standard"),
            "high": Labels(es="alto", pt="alto", en="high"),
            "specialized": Labels(es="especializado", pt="especializado", en="specialised"),
        },
        nullable=True,
        description="Supervision level assigned at the start of parole. " + _PRE_RELEASE,
    ),
    Feature(
        name="nij_education_level",
        kind="categorical",
        labels=Labels(es="Nivel educativo", pt="Escolaridade", en="Education level"),
        changeable=True,
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        categories=("less_than_high_school", "high_school_diploma", "some_college"),
        category_labels={
            "less_than_high_school": Labels(
                es="sin secundaria completa",
                pt="sem ensino médio completo",
                en="less than a high-school diploma",
            ),
            "high_school_diploma": Labels(
                es="secundaria completa", pt="ensino médio completo", en="high-school diploma"
            ),
            "some_college": Labels(
                es="algún estudio superior", pt="algum ensino superior", en="at least some college"
            ),
        },
        description="Highest education level at release (US levels). " + _PRE_RELEASE,
    ),
    _count(
        "nij_dependents",
        Labels(es="Personas a cargo", pt="Dependentes", en="Dependants"),
        3,
        "Number of dependants.",
        domain=NeedDomain.FAMILY_MARITAL,
        monotone=0,
    ),
    Feature(
        name="nij_prison_offense",
        kind="categorical",
        labels=Labels(
            es="Delito de la condena", pt="Crime da condenação", en="Offence of the sentence"
        ),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        categories=("property", "drug", "violent_non_sex", "violent_sex", "other"),
        category_labels={
            "property": Labels(es="contra la propiedad", pt="contra o patrimônio", en="property"),
            "drug": Labels(es="drogas", pt="drogas", en="drugs"),
            "violent_non_sex": Labels(
                es="violento no sexual", pt="violento não sexual", en="violent, non-sexual"
            ),
            "violent_sex": Labels(es="violento sexual", pt="violento sexual", en="violent, sexual"),
            "other": Labels(es="otro", pt="outro", en="other"),
        },
        nullable=True,
        description="Primary offence of the prison sentence. " + _PRE_RELEASE,
    ),
    Feature(
        name="nij_prison_years",
        kind="categorical",
        labels=Labels(
            es="Tiempo en prisión (tramo)",
            pt="Tempo na prisão (faixa)",
            en="Time in prison (band)",
        ),
        changeable=False,
        categories=("less_than_1", "1_to_2", "2_to_3", "more_than_3"),
        category_labels={
            "less_than_1": Labels(es="menos de 1 año", pt="menos de 1 ano", en="under 1 year"),
            "1_to_2": Labels(es="1 a 2 años", pt="1 a 2 anos", en="1 to 2 years"),
            "2_to_3": Labels(
                es="más de 2 y hasta 3 años",
                pt="mais de 2 e até 3 anos",
                en="over 2 and up to 3 years",
            ),
            "more_than_3": Labels(es="más de 3 años", pt="mais de 3 anos", en="over 3 years"),
        },
        description="Years served in prison before release, in NIJ's bands. " + _PRE_RELEASE,
    ),
    _count(
        "nij_prior_arrests_felony",
        Labels(
            es="Detenciones previas por delito grave",
            pt="Prisões anteriores por crime grave",
            en="Prior felony arrests",
        ),
        10,
        "Prior arrest episodes with a felony charge.",
    ),
    _count(
        "nij_prior_arrests_misdemeanour",
        Labels(
            es="Detenciones previas por delito menor",
            pt="Prisões anteriores por contravenção",
            en="Prior misdemeanour arrests",
        ),
        6,
        "Prior arrest episodes with a misdemeanour charge.",
    ),
    _count(
        "nij_prior_arrests_violent",
        Labels(
            es="Detenciones previas por delito violento",
            pt="Prisões anteriores por crime violento",
            en="Prior violent-offence arrests",
        ),
        3,
        "Prior arrest episodes with a violent charge.",
    ),
    _count(
        "nij_prior_arrests_property",
        Labels(
            es="Detenciones previas por delito contra la propiedad",
            pt="Prisões anteriores por crime contra o patrimônio",
            en="Prior property-offence arrests",
        ),
        5,
        "Prior arrest episodes with a property charge.",
    ),
    _count(
        "nij_prior_arrests_drug",
        Labels(
            es="Detenciones previas por drogas",
            pt="Prisões anteriores por drogas",
            en="Prior drug arrests",
        ),
        5,
        "Prior arrest episodes with a drug charge.",
    ),
    _count(
        "nij_prior_arrests_supervision_violation",
        Labels(
            es="Detenciones previas por incumplir la libertad condicional o vigilada",
            pt="Prisões anteriores por violar livramento ou liberdade condicional",
            en="Prior arrests for parole or probation violations",
        ),
        5,
        "Prior arrest episodes with a parole or probation violation charge.",
    ),
    _flag(
        "nij_prior_arrests_domestic_violence",
        Labels(
            es="Detención previa por violencia doméstica",
            pt="Prisão anterior por violência doméstica",
            en="Prior domestic-violence arrest",
        ),
        "Any prior arrest episode with a domestic-violence charge",
    ),
    _flag(
        "nij_prior_arrests_gun",
        Labels(
            es="Detención previa por armas de fuego",
            pt="Prisão anterior por armas de fogo",
            en="Prior gun-charge arrest",
        ),
        "Any prior arrest episode with a gun charge",
    ),
    _count(
        "nij_prior_convictions_felony",
        Labels(
            es="Condenas previas por delito grave",
            pt="Condenações anteriores por crime grave",
            en="Prior felony convictions",
        ),
        3,
        "Prior conviction episodes with a felony charge.",
    ),
    _count(
        "nij_prior_convictions_misdemeanour",
        Labels(
            es="Condenas previas por delito menor",
            pt="Condenações anteriores por contravenção",
            en="Prior misdemeanour convictions",
        ),
        4,
        "Prior conviction episodes with a misdemeanour charge.",
    ),
    _flag(
        "nij_prior_convictions_violent",
        Labels(
            es="Condena previa por delito violento",
            pt="Condenação anterior por crime violento",
            en="Prior violent-offence conviction",
        ),
        "Any prior conviction episode with a violent charge",
    ),
    _count(
        "nij_prior_convictions_property",
        Labels(
            es="Condenas previas por delito contra la propiedad",
            pt="Condenações anteriores por crime contra o patrimônio",
            en="Prior property-offence convictions",
        ),
        3,
        "Prior conviction episodes with a property charge.",
    ),
    _count(
        "nij_prior_convictions_drug",
        Labels(
            es="Condenas previas por drogas",
            pt="Condenações anteriores por drogas",
            en="Prior drug convictions",
        ),
        2,
        "Prior conviction episodes with a drug charge.",
    ),
    _flag(
        "nij_prior_convictions_supervision_violation",
        Labels(
            es="Condena previa por incumplir la libertad condicional o vigilada",
            pt="Condenação anterior por violar livramento ou liberdade condicional",
            en="Prior conviction for a parole or probation violation",
        ),
        "Any prior conviction episode with a parole or probation violation charge",
    ),
    _flag(
        "nij_prior_convictions_domestic_violence",
        Labels(
            es="Condena previa por violencia doméstica",
            pt="Condenação anterior por violência doméstica",
            en="Prior domestic-violence conviction",
        ),
        "Any prior conviction episode with a domestic-violence charge",
        nullable=True,
    ),
    _flag(
        "nij_prior_convictions_gun",
        Labels(
            es="Condena previa por armas de fuego",
            pt="Condenação anterior por armas de fogo",
            en="Prior gun-charge conviction",
        ),
        "Any prior conviction episode with a gun charge",
        nullable=True,
    ),
    _flag(
        "nij_prior_revocations_parole",
        Labels(
            es="Revocación previa de la libertad condicional",
            pt="Revogação anterior do livramento condicional",
            en="Prior parole revocation",
        ),
        "A previous parole was revoked",
        monotone=1,
        nullable=True,
    ),
    _flag(
        "nij_prior_revocations_probation",
        Labels(
            es="Revocación previa de la libertad vigilada",
            pt="Revogação anterior da liberdade vigiada",
            en="Prior probation revocation",
        ),
        "A previous probation was revoked",
        monotone=1,
        nullable=True,
    ),
    _flag(
        "nij_condition_mental_health_substance",
        Labels(
            es="Condición: programa de salud mental o consumo",
            pt="Condição: programa de saúde mental ou uso de substâncias",
            en="Condition: mental-health or substance-use programme",
        ),
        "A parole condition requires mental-health or substance-abuse programming",
        domain=NeedDomain.MENTAL_HEALTH,
        nullable=True,
    ),
    _flag(
        "nij_condition_cognitive_education",
        Labels(
            es="Condición: programa cognitivo o educativo",
            pt="Condição: programa cognitivo ou educacional",
            en="Condition: cognitive-skills or education programme",
        ),
        "A parole condition requires cognitive-skills or education programming",
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        nullable=True,
    ),
    _flag(
        "nij_condition_other",
        Labels(es="Otra condición", pt="Outra condição", en="Other parole condition"),
        "Another parole condition applies",
        domain=None,
        nullable=True,
    ),
]

_SUPERVISION_FEATURES: list[Feature] = [
    _flag(
        "nij_violation_electronic_monitoring",
        Labels(
            es="Incumplimiento del monitoreo electrónico",
            pt="Violação do monitoramento eletrônico",
            en="Electronic-monitoring violation",
        ),
        "An electronic-monitoring violation was recorded",
        domain=NeedDomain.ANTISOCIAL_PATTERN,
        monotone=1,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    _flag(
        "nij_violation_instruction",
        Labels(
            es="Incumplimiento de instrucciones",
            pt="Descumprimento de instruções",
            en="Instruction violation",
        ),
        "A violation of the supervising officer's instructions was recorded",
        domain=NeedDomain.ANTISOCIAL_PATTERN,
        monotone=1,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    _flag(
        "nij_violation_fail_to_report",
        Labels(
            es="No presentarse ante el supervisor",
            pt="Falta de apresentação ao supervisor",
            en="Failure to report",
        ),
        "A failure to report to the supervising officer was recorded",
        domain=NeedDomain.ANTISOCIAL_PATTERN,
        monotone=1,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    _flag(
        "nij_violation_move_without_permission",
        Labels(
            es="Cambio de domicilio sin permiso",
            pt="Mudança de endereço sem permissão",
            en="Moved without permission",
        ),
        "A move without permission was recorded",
        domain=NeedDomain.HOUSING,
        monotone=1,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    _count(
        "nij_delinquency_reports",
        Labels(
            es="Informes de incumplimiento",
            pt="Relatórios de descumprimento",
            en="Delinquency reports",
        ),
        4,
        "Delinquency reports filed by the supervising officer.",
        domain=NeedDomain.ANTISOCIAL_PATTERN,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    _count(
        "nij_programme_attendances",
        Labels(
            es="Asistencias a programas", pt="Presenças em programas", en="Programme attendances"
        ),
        10,
        "Programme sessions attended.",
        domain=None,
        monotone=0,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    _count(
        "nij_programme_unexcused_absences",
        Labels(
            es="Ausencias injustificadas a programas",
            pt="Faltas injustificadas a programas",
            en="Unexcused programme absences",
        ),
        3,
        "Programme sessions missed without an excuse.",
        domain=None,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    _count(
        "nij_residence_changes",
        Labels(es="Cambios de domicilio", pt="Mudanças de endereço", en="Changes of residence"),
        3,
        "Changes of residence address.",
        domain=NeedDomain.HOUSING,
        monotone=0,
        changeable=True,
        nullable=True,
        when=_SUPERVISION,
    ),
    Feature(
        name="nij_days_per_drug_test",
        kind="numeric",
        labels=Labels(
            es="Días promedio entre pruebas de drogas",
            pt="Dias médios entre testes de drogas",
            en="Average days per drug test",
        ),
        changeable=True,
        domain=NeedDomain.SUBSTANCE_USE,
        minimum=0.0,
        maximum=1100.0,
        nullable=True,
        description="Average number of days between drug tests (empty when never tested). "
        + _SUPERVISION,
    ),
    _share(
        "nij_drug_tests_thc_positive",
        Labels(
            es="Pruebas positivas a cannabis (proporción)",
            pt="Testes positivos para cannabis (proporção)",
            en="Share of drug tests positive for THC",
        ),
        "Share of drug tests positive for THC (cannabis).",
        NeedDomain.SUBSTANCE_USE,
        1,
    ),
    _share(
        "nij_drug_tests_cocaine_positive",
        Labels(
            es="Pruebas positivas a cocaína (proporción)",
            pt="Testes positivos para cocaína (proporção)",
            en="Share of drug tests positive for cocaine",
        ),
        "Share of drug tests positive for cocaine.",
        NeedDomain.SUBSTANCE_USE,
        1,
    ),
    _share(
        "nij_drug_tests_meth_positive",
        Labels(
            es="Pruebas positivas a metanfetamina (proporción)",
            pt="Testes positivos para metanfetamina (proporção)",
            en="Share of drug tests positive for methamphetamine",
        ),
        "Share of drug tests positive for methamphetamine.",
        NeedDomain.SUBSTANCE_USE,
        1,
    ),
    _share(
        "nij_drug_tests_other_positive",
        Labels(
            es="Pruebas positivas a otras drogas (proporción)",
            pt="Testes positivos para outras drogas (proporção)",
            en="Share of drug tests positive for other drugs",
        ),
        "Share of drug tests positive for other drugs.",
        NeedDomain.SUBSTANCE_USE,
        1,
    ),
    _share(
        "nij_percent_days_employed",
        Labels(
            es="Proporción de días con empleo",
            pt="Proporção de dias com emprego",
            en="Share of days employed",
        ),
        "Share of days under supervision in employment (0-1).",
        NeedDomain.EDUCATION_EMPLOYMENT,
        -1,
    ),
    Feature(
        name="nij_jobs_per_year",
        kind="numeric",
        labels=Labels(es="Empleos por año", pt="Empregos por ano", en="Jobs per year"),
        changeable=True,
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        minimum=0.0,
        maximum=365.0,
        nullable=True,
        description="Jobs held per year under supervision (in the reconstructed file only "
        "known for the official Year-2 test people). " + _SUPERVISION,
    ),
    _flag(
        "nij_employment_exempt",
        Labels(
            es="Exento de la obligación de empleo",
            pt="Isento da obrigação de emprego",
            en="Exempt from employment",
        ),
        "Exempted from the employment requirement of parole",
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        nullable=True,
        when=_SUPERVISION,
    ),
]

FEATURES: list[Feature] = _PRE_RELEASE_FEATURES + _SUPERVISION_FEATURES

#: Registry names of the NIJ variables known at release (safe inputs for a model that predicts
#: from the day of release), in declaration order. The shared ones (sex, race_us,
#: gang_affiliation) are not listed.
PRE_RELEASE_NAMES: tuple[str, ...] = tuple(f.name for f in _PRE_RELEASE_FEATURES)

#: Registry names of the NIJ variables recorded during supervision (after release).
SUPERVISION_NAMES: tuple[str, ...] = tuple(f.name for f in _SUPERVISION_FEATURES)

OUTCOMES: list[Outcome] = [
    Outcome(
        name="rearrest_12m",
        labels=Labels(
            es="Nueva detención en 12 meses",
            pt="Nova prisão em 12 meses",
            en="Re-arrest within 12 months",
        ),
        description="A new arrest (felony or misdemeanour) was recorded within 12 months of "
        "release.",
    ),
    Outcome(
        name="rearrest_36m",
        labels=Labels(
            es="Nueva detención en 36 meses",
            pt="Nova prisão em 36 meses",
            en="Re-arrest within 36 months",
        ),
        description="A new arrest (felony or misdemeanour) was recorded within 36 months of "
        "release.",
    ),
]
