"""Grouping COMPAS's free-text charge descriptions into charge types."""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.data.charge_types import CHARGE_TYPES, charge_type, charge_types
from riskkit.features.registry import default_registry


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("arrest case no charge", "no_charge"),
        ("Battery", "violent"),
        ("Aggrav Battery w/Deadly Weapon", "violent"),  # violent before weapons
        ("Robbery / No Weapon", "violent"),
        ("Grand Theft (Motor Vehicle)", "property"),  # property before driving ("Veh")
        ("Possession Burglary Tools", "property"),  # property before drug ("Poss")
        ("Uttering a Forged Instrument", "property"),
        ("Carrying Concealed Firearm", "weapons"),
        ("Possession of Cocaine", "drug"),
        ("Pos Cannabis W/Intent Sel/Del", "drug"),
        ("Driving While License Revoked", "driving"),
        ("DUI Property Damage/Injury", "driving"),
        ("Resist/Obstruct W/O Violence", "public_order"),  # "without violence"
        ("Resist Officer w/Violence", "violent"),
        ("Tampering With Physical Evidence", "public_order"),
        ("Disorderly Conduct", "public_order"),
        ("Neglect Child / No Bodily Harm", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_charge_type_first_matching_rule_wins(description: object, expected: str) -> None:
    assert charge_type(description) == expected


def test_charge_types_maps_a_column_and_keeps_its_index() -> None:
    descriptions = pd.Series(["Battery", None, "Battery", "Petit Theft"], index=[10, 11, 12, 13])
    result = charge_types(descriptions)
    assert result.tolist() == ["violent", "other", "violent", "property"]
    assert result.index.tolist() == [10, 11, 12, 13]


def test_registry_declares_every_charge_type_with_labels() -> None:
    feature = default_registry()["charge_type"]
    assert feature.categories == CHARGE_TYPES
    assert set(feature.category_labels) == set(CHARGE_TYPES)
    assert not feature.changeable
