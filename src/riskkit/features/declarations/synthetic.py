"""Variables of the synthetic population (people released from prison in a Latin American
system). See ``riskkit.data.synthetic`` for how they are generated."""

from __future__ import annotations

from riskkit.features.registry import Feature, Labels, NeedDomain, Outcome

FEATURES: list[Feature] = [
    Feature(
        name="ethnicity",
        kind="categorical",
        labels=Labels(es="Pertenencia étnica", pt="Etnia", en="Ethnicity"),
        changeable=False,
        protected=True,
        categories=("mestizo", "indigenous", "afrodescendant", "white", "other"),
        category_labels={
            "mestizo": Labels(es="mestiza", pt="mestiça", en="mestizo"),
            "indigenous": Labels(es="indígena", pt="indígena", en="indigenous"),
            "afrodescendant": Labels(
                es="afrodescendiente", pt="afrodescendente", en="Afro-descendant"
            ),
            "white": Labels(es="blanca", pt="branca", en="white"),
            "other": Labels(es="otra", pt="outra", en="other"),
        },
        description="Self-identified ethnicity, including indigenous status.",
    ),
    Feature(
        name="nationality",
        kind="categorical",
        labels=Labels(es="Nacionalidad", pt="Nacionalidade", en="Nationality"),
        changeable=False,
        protected=True,
        categories=("national", "foreign"),
        category_labels={
            "national": Labels(es="nacional", pt="nacional", en="national"),
            "foreign": Labels(es="extranjera", pt="estrangeira", en="foreign"),
        },
        description="Whether the person is a national of the country or a foreign national.",
    ),
    Feature(
        name="offence_type",
        kind="categorical",
        labels=Labels(es="Tipo de delito", pt="Tipo de crime", en="Offence type"),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        categories=("property", "drugs", "violent", "sexual", "other"),
        category_labels={
            "property": Labels(es="contra la propiedad", pt="contra o patrimônio", en="property"),
            "drugs": Labels(es="drogas", pt="drogas", en="drugs"),
            "violent": Labels(es="violento", pt="violento", en="violent"),
            "sexual": Labels(es="sexual", pt="sexual", en="sexual"),
            "other": Labels(es="otro", pt="outro", en="other"),
        },
        description="Most serious offence of the sentence being served.",
    ),
    Feature(
        name="sentence_months",
        kind="integer",
        labels=Labels(
            es="Duración de la condena (meses)",
            pt="Duração da pena (meses)",
            en="Sentence length (months)",
        ),
        changeable=False,
        minimum=1,
        maximum=600,
        description="Length of the sentence served, in months.",
    ),
    Feature(
        name="pretrial_months",
        kind="integer",
        labels=Labels(
            es="Prisión preventiva (meses)",
            pt="Prisão preventiva (meses)",
            en="Pretrial detention (months)",
        ),
        changeable=False,
        minimum=0,
        maximum=120,
        description="Months held in pretrial detention before sentence.",
    ),
    Feature(
        name="age_first_arrest",
        kind="integer",
        labels=Labels(
            es="Edad en la primera detención",
            pt="Idade na primeira prisão",
            en="Age at first arrest",
        ),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        monotone=-1,
        minimum=10,
        maximum=90,
        description="Age in years at the first recorded arrest.",
    ),
    Feature(
        name="disciplinary_reports",
        kind="integer",
        labels=Labels(
            es="Faltas disciplinarias en prisión",
            pt="Faltas disciplinares na prisão",
            en="Disciplinary reports in prison",
        ),
        changeable=False,
        domain=NeedDomain.ANTISOCIAL_PATTERN,
        monotone=1,
        minimum=0,
        maximum=100,
        description="Disciplinary reports recorded during the sentence.",
    ),
    Feature(
        name="prison_work",
        kind="binary",
        labels=Labels(es="Trabajo en prisión", pt="Trabalho na prisão", en="Work in prison"),
        changeable=True,
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        monotone=-1,
        description="Took part in a prison work programme (1 = yes).",
    ),
    Feature(
        name="prison_education",
        kind="binary",
        labels=Labels(es="Estudios en prisión", pt="Estudos na prisão", en="Education in prison"),
        changeable=True,
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        monotone=-1,
        description="Took part in education in prison (1 = yes).",
    ),
    Feature(
        name="treatment_completed",
        kind="binary",
        labels=Labels(
            es="Programa de tratamiento completado",
            pt="Programa de tratamento concluído",
            en="Treatment programme completed",
        ),
        changeable=True,
        domain=NeedDomain.PROCRIMINAL_ATTITUDES,
        monotone=-1,
        description="Completed a cognitive-behavioural or substance-use treatment programme.",
    ),
    Feature(
        name="family_visits_month",
        kind="integer",
        labels=Labels(
            es="Visitas familiares por mes",
            pt="Visitas familiares por mês",
            en="Family visits per month",
        ),
        changeable=True,
        domain=NeedDomain.FAMILY_MARITAL,
        monotone=-1,
        minimum=0,
        maximum=31,
        description="Average family visits per month in the last year of the sentence.",
    ),
    Feature(
        name="education_level",
        kind="categorical",
        labels=Labels(es="Nivel educativo", pt="Escolaridade", en="Education level"),
        changeable=True,
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        categories=("none", "primary", "secondary", "tertiary"),
        category_labels={
            "none": Labels(es="sin estudios", pt="sem estudos", en="no schooling"),
            "primary": Labels(es="primaria", pt="ensino fundamental", en="primary"),
            "secondary": Labels(es="secundaria", pt="ensino médio", en="secondary"),
            "tertiary": Labels(es="superior", pt="ensino superior", en="tertiary"),
        },
        description="Highest level of education completed.",
    ),
    Feature(
        name="employment_prospect",
        kind="categorical",
        labels=Labels(es="Empleo al egreso", pt="Emprego na saída", en="Employment at release"),
        changeable=True,
        domain=NeedDomain.EDUCATION_EMPLOYMENT,
        categories=("none", "informal", "formal"),
        category_labels={
            "none": Labels(es="sin empleo", pt="sem emprego", en="no job"),
            "informal": Labels(es="empleo informal", pt="emprego informal", en="informal job"),
            "formal": Labels(es="empleo formal", pt="emprego formal", en="formal job"),
        },
        description="Job or job offer at release.",
    ),
    Feature(
        name="housing",
        kind="categorical",
        labels=Labels(es="Vivienda al egreso", pt="Moradia na saída", en="Housing at release"),
        changeable=True,
        domain=NeedDomain.HOUSING,
        categories=("stable", "temporary", "homeless"),
        category_labels={
            "stable": Labels(es="estable", pt="estável", en="stable"),
            "temporary": Labels(es="temporal", pt="temporária", en="temporary"),
            "homeless": Labels(es="en situación de calle", pt="em situação de rua", en="homeless"),
        },
        description="Housing situation at release.",
    ),
    Feature(
        name="substance_use",
        kind="categorical",
        labels=Labels(es="Consumo de sustancias", pt="Uso de substâncias", en="Substance use"),
        changeable=True,
        domain=NeedDomain.SUBSTANCE_USE,
        categories=("none", "occasional", "problematic"),
        category_labels={
            "none": Labels(es="sin consumo", pt="sem uso", en="none"),
            "occasional": Labels(es="ocasional", pt="ocasional", en="occasional"),
            "problematic": Labels(es="problemático", pt="problemático", en="problematic"),
        },
        description="Substance use as assessed before release.",
    ),
    Feature(
        name="mental_health_condition",
        kind="binary",
        labels=Labels(
            es="Condición de salud mental",
            pt="Condição de saúde mental",
            en="Mental-health condition",
        ),
        changeable=True,
        domain=NeedDomain.MENTAL_HEALTH,
        description="A diagnosed mental-health condition needing care (1 = yes).",
    ),
]


def _need_outcome(domain: str, es: str, pt: str, en: str) -> Outcome:
    return Outcome(
        name=f"need_{domain}",
        labels=Labels(es=f"Necesidad: {es}", pt=f"Necessidade: {pt}", en=f"Need: {en}"),
        description=f"A full assessment finds a need in the {en.lower()} domain (1 = yes).",
    )


OUTCOMES: list[Outcome] = [
    Outcome(
        name="reoffence_24m",
        labels=Labels(
            es="Reincidencia en 24 meses",
            pt="Reincidência em 24 meses",
            en="Re-offence within 24 months",
        ),
        description="The person actually re-offended within 24 months (synthetic ground truth, "
        "never observed in real data).",
    ),
    Outcome(
        name="rearrest_24m",
        labels=Labels(
            es="Nueva detención en 24 meses",
            pt="Nova prisão em 24 meses",
            en="Re-arrest within 24 months",
        ),
        description="A re-arrest was recorded within 24 months (what real data measures).",
    ),
    _need_outcome(
        "criminal_history", "historial delictivo", "histórico criminal", "Criminal history"
    ),
    _need_outcome(
        "education_employment",
        "educación y empleo",
        "educação e emprego",
        "Education and employment",
    ),
    _need_outcome(
        "family_marital", "familia y pareja", "família e relacionamento", "Family and marital"
    ),
    _need_outcome(
        "leisure_recreation", "ocio y tiempo libre", "lazer e recreação", "Leisure and recreation"
    ),
    _need_outcome("companions", "amistades", "companhias", "Companions"),
    _need_outcome("substance_use", "consumo de sustancias", "uso de substâncias", "Substance use"),
    _need_outcome(
        "procriminal_attitudes",
        "actitudes procriminales",
        "atitudes pró-criminais",
        "Pro-criminal attitudes",
    ),
    _need_outcome(
        "antisocial_pattern", "patrón antisocial", "padrão antissocial", "Antisocial pattern"
    ),
    _need_outcome("housing", "vivienda", "moradia", "Housing"),
    _need_outcome("mental_health", "salud mental", "saúde mental", "Mental health"),
]
