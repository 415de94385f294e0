"""Variables shared by several sources: demographics, age and prior record."""

from __future__ import annotations

from riskkit.features.registry import Feature, Labels, NeedDomain, Outcome

FEATURES: list[Feature] = [
    Feature(
        name="age",
        kind="integer",
        labels=Labels(es="Edad", pt="Idade", en="Age"),
        changeable=False,
        monotone=-1,
        minimum=14,
        maximum=100,
        description="Age in years at the time of assessment (release, or screening).",
    ),
    Feature(
        name="sex",
        kind="categorical",
        labels=Labels(es="Sexo", pt="Sexo", en="Sex"),
        changeable=False,
        protected=True,
        categories=("female", "male"),
        category_labels={
            "female": Labels(es="mujer", pt="mulher", en="female"),
            "male": Labels(es="hombre", pt="homem", en="male"),
        },
        description="Sex as recorded by the administration.",
    ),
    Feature(
        name="prior_convictions",
        kind="integer",
        labels=Labels(es="Condenas previas", pt="Condenações anteriores", en="Prior convictions"),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        monotone=1,
        minimum=0,
        maximum=60,
        description="Number of prior convictions (or prior offences, where that is what the "
        "source counts) before the current one.",
    ),
    Feature(
        name="gang_affiliation",
        kind="binary",
        labels=Labels(
            es="Vinculación a pandilla o crimen organizado",
            pt="Vínculo com gangue ou crime organizado",
            en="Gang or organised-crime affiliation",
        ),
        changeable=True,
        domain=NeedDomain.COMPANIONS,
        monotone=1,
        nullable=True,
        description="Known affiliation with a gang or organised-crime group (1 = yes).",
    ),
]

OUTCOMES: list[Outcome] = []
