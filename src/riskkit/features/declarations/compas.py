"""Variables the COMPAS adapter adds (ProPublica's Broward County two-year files).

``race_us`` is declared here because COMPAS is the first US source; the NIJ Georgia pipeline maps
its two race codes onto the same categories. Age, sex and prior record are reused from
``common``; the general re-arrest outcome ``rearrest_24m`` from ``synthetic``.
"""

from __future__ import annotations

from riskkit.data.charge_types import CHARGE_TYPES
from riskkit.features.registry import Feature, Labels, NeedDomain, Outcome

FEATURES: list[Feature] = [
    Feature(
        name="race_us",
        kind="categorical",
        labels=Labels(es="Raza (EE. UU.)", pt="Raça (EUA)", en="Race (US)"),
        changeable=False,
        protected=True,
        categories=(
            "african_american",
            "caucasian",
            "hispanic",
            "other",
            "asian",
            "native_american",
        ),
        category_labels={
            "african_american": Labels(
                es="afroestadounidense", pt="afro-americana", en="African American"
            ),
            "caucasian": Labels(es="blanca", pt="branca", en="white"),
            "hispanic": Labels(es="hispana", pt="hispânica", en="Hispanic"),
            "other": Labels(es="otra", pt="outra", en="other"),
            "asian": Labels(es="asiática", pt="asiática", en="Asian"),
            "native_american": Labels(
                es="nativa americana", pt="nativa americana", en="Native American"
            ),
        },
        description="Race as recorded by US criminal-justice agencies (COMPAS categories; NIJ "
        "Georgia's BLACK and WHITE map onto african_american and caucasian). Audits only.",
    ),
    Feature(
        name="juvenile_felony_count",
        kind="integer",
        labels=Labels(
            es="Delitos graves juveniles",
            pt="Crimes graves juvenis",
            en="Juvenile felonies",
        ),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        monotone=1,
        minimum=0,
        maximum=50,
        description="Number of prior juvenile felony charges.",
    ),
    Feature(
        name="juvenile_misdemeanour_count",
        kind="integer",
        labels=Labels(
            es="Delitos menores juveniles",
            pt="Contravenções juvenis",
            en="Juvenile misdemeanours",
        ),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        monotone=1,
        minimum=0,
        maximum=50,
        description="Number of prior juvenile misdemeanour charges.",
    ),
    Feature(
        name="juvenile_other_count",
        kind="integer",
        labels=Labels(
            es="Otras infracciones juveniles",
            pt="Outras infrações juvenis",
            en="Other juvenile offences",
        ),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        monotone=1,
        minimum=0,
        maximum=50,
        description="Number of prior juvenile charges that are neither felonies nor misdemeanours.",
    ),
    Feature(
        name="charge_degree",
        kind="categorical",
        labels=Labels(
            es="Gravedad del cargo actual",
            pt="Gravidade da acusação atual",
            en="Degree of the current charge",
        ),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        categories=("felony", "misdemeanour"),
        category_labels={
            "felony": Labels(es="delito grave", pt="crime grave", en="felony"),
            "misdemeanour": Labels(es="delito menor", pt="contravenção", en="misdemeanour"),
        },
        description="Whether the charge that led to the assessment is a felony or a misdemeanour.",
    ),
    Feature(
        name="charge_type",
        kind="categorical",
        labels=Labels(
            es="Tipo de cargo actual",
            pt="Tipo de acusação atual",
            en="Type of the current charge",
        ),
        changeable=False,
        domain=NeedDomain.CRIMINAL_HISTORY,
        categories=CHARGE_TYPES,
        category_labels={
            "no_charge": Labels(
                es="detención sin cargo", pt="prisão sem acusação", en="arrest with no charge"
            ),
            "violent": Labels(
                es="delito contra las personas",
                pt="crime contra a pessoa",
                en="offence against a person",
            ),
            "property": Labels(
                es="delito contra la propiedad",
                pt="crime contra o patrimônio",
                en="property offence",
            ),
            "weapons": Labels(es="armas", pt="armas", en="weapons offence"),
            "drug": Labels(es="drogas", pt="drogas", en="drug offence"),
            "driving": Labels(
                es="conducción y tránsito", pt="direção e trânsito", en="driving offence"
            ),
            "public_order": Labels(
                es="orden público y justicia",
                pt="ordem pública e justiça",
                en="public order or justice offence",
            ),
            "other": Labels(es="otro", pt="outro", en="other"),
        },
        description="The charge that led to the screening, grouped from the free-text "
        "description into eight types (riskkit.data.charge_types).",
    ),
    Feature(
        name="compas_decile_score",
        kind="integer",
        labels=Labels(
            es="Puntuación COMPAS de reincidencia (decil)",
            pt="Pontuação COMPAS de reincidência (decil)",
            en="COMPAS recidivism score (decile)",
        ),
        changeable=False,
        monotone=1,
        minimum=1,
        maximum=10,
        nullable=True,
        description="The incumbent COMPAS 'Risk of Recidivism' decile (1-10), kept as a score "
        "column to audit, not as a model input.",
    ),
    Feature(
        name="compas_violent_decile_score",
        kind="integer",
        labels=Labels(
            es="Puntuación COMPAS de violencia (decil)",
            pt="Pontuação COMPAS de violência (decil)",
            en="COMPAS violence score (decile)",
        ),
        changeable=False,
        monotone=1,
        minimum=1,
        maximum=10,
        nullable=True,
        description="The incumbent COMPAS 'Risk of Violence' decile (1-10), kept as a score "
        "column to audit, not as a model input.",
    ),
]

OUTCOMES: list[Outcome] = [
    Outcome(
        name="violent_rearrest_24m",
        labels=Labels(
            es="Nueva detención por delito violento en 24 meses",
            pt="Nova prisão por crime violento em 24 meses",
            en="Violent re-arrest within 24 months",
        ),
        description="A new arrest for a violent offence was recorded within 24 months of the "
        "assessment (an arrest, not a conviction).",
    ),
]
