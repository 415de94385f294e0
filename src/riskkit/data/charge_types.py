"""Current-charge types for ProPublica's COMPAS file, from its free-text charge descriptions.

Broward County records the charge that led to the screening as free text (``c_charge_desc``:
about 390 distinct descriptions, most used a handful of times). A model cannot learn from a value
seen once, and a case worker cannot explain one, so the adapter groups them into eight types a
reader recognises. :data:`CHARGE_TYPE_RULES` is tried in order and the first match wins; the
order matters where a description names two things ("Possession Burglary Tools" is a property
charge, "Aggrav Battery w/Deadly Weapon" a violent one). On the 6,172 general-file rows: violent
1,985, drug 1,162, property 1,066, driving 834, no charge 784, public order 199, other 98,
weapons 44.
"""

from __future__ import annotations

import re

import pandas as pd

#: (type, case-insensitive pattern), tried in order. ``no_charge`` is the county's own wording
#: for an arrest that led to no charge.
CHARGE_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("no_charge", r"arrest case no charge"),
    (
        "violent",
        r"batt|assault|robbery|murder|homicide|kidnap|imprison|abuse|cruelty|sex|lewd|strang"
        r"|carjack|manslaughter|domestic|dom viol|injunc|stalk|threat|armed|attempted|aggrav"
        r"|agg |(?<!w/o )violence|viol prot|arson|home invasion",
    ),
    (
        "property",
        r"theft|burg|stolen|forg|utter|fraud|mischief|trespass|tresspass|pawn|id info|shoplift"
        r"|worthless|counterfeit|embezzl|larceny|credit card|check|steal|dealing|scheme",
    ),
    ("weapons", r"firearm|weapon|ammo|carrying|concealed"),
    (
        "drug",
        r"poss|deliver|traffick|sell|sel/|sale|cocaine|cannabis|marijuana|heroin|methyl|oxycod"
        r"|alprazolam|pyrrol|contr|subst|meth|drug|hydromorph|narcotic|fentanyl|morphine|mdma"
        r"|diazepam|codeine|paraphern|amphetamine|butylone|ethylone|phentermine|lorazepam"
        r"|clonazepam|tramadol|prescript|cntrl",
    ),
    (
        "driving",
        r"driv|dui|licen|lic |lic$|lve/|leaving|flee|elud|operating|veh|traffic|tag|reckless"
        r"|hit and run|susp",
    ),
    (
        "public_order",
        r"resist|obstruct|obstr|tamper|disorderly|prostitut|contempt|violation|viol |corrupt"
        r"|escape|false|loiter|solicit|intox|open container|bribe|perjury|nuisance|gambl|bail"
        r"|affray|riot|harass|littering|unlaw",
    ),
)
#: Every type :func:`charge_type` can return, ``other`` last.
CHARGE_TYPES: tuple[str, ...] = (*(name for name, _ in CHARGE_TYPE_RULES), "other")

_COMPILED_RULES = tuple(
    (name, re.compile(pattern, re.IGNORECASE)) for name, pattern in CHARGE_TYPE_RULES
)


def charge_type(description: object) -> str:
    """The type of one charge description: the first rule that matches, else ``"other"``.

    A missing or empty description is ``"other"``.
    """
    if not isinstance(description, str) or not description.strip():
        return "other"
    for name, pattern in _COMPILED_RULES:
        if pattern.search(description):
            return name
    return "other"


def charge_types(descriptions: pd.Series) -> pd.Series:
    """:func:`charge_type` of every description, computed once per distinct value."""
    distinct = descriptions.dropna().unique()
    lookup = {description: charge_type(description) for description in distinct}
    return descriptions.map(lookup).fillna("other").astype(str)
