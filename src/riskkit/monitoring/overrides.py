"""Override monitoring: where case workers change the model's band, and for whom.

Overrides are where bias can re-enter a scored decision: a case worker may move one group's
people up to more restrictive bands more often than another's. From the score log's counts
(:meth:`riskkit.audit_log.ScoreLog.override_rates`) this compares each group, and each case
worker, with the rest of its attribute: the share of scores overridden and the share moved to a
higher band. A difference is flagged when it is larger than ``override_rate_gap`` and a
two-proportion z-test rejects equality at ``p_value``, for groups with at least ``min_scores``
scores (``[monitoring]`` in the pipeline TOML).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from riskkit.audit_log import OverrideRate
    from riskkit.config import MonitoringConfig

__all__ = ["OverrideComparison", "compare_override_rates", "two_proportion_p_value"]

Measure = Literal["overridden", "moved_up"]


def two_proportion_p_value(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test of ``k1/n1`` against ``k2/n2``
    (1.0 when either group is empty or the pooled share is 0 or 1: nothing to test)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class OverrideComparison:
    """One group (or case worker) against the rest of its attribute, on one measure."""

    attribute: str
    group: str
    measure: Measure
    n_scores: int
    count: int
    rate: float
    rest_rate: float
    p_value: float
    flagged: bool

    @property
    def gap(self) -> float:
        """The group's rate minus the rest's."""
        return self.rate - self.rest_rate

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gap": self.gap}


def compare_override_rates(
    rates: Sequence[OverrideRate], config: MonitoringConfig
) -> list[OverrideComparison]:
    """Each group against the rest of its attribute, on the share overridden and the share
    moved to a higher band; flagged as the module docstring says.

    Parameters
    ----------
    rates : sequence of OverrideRate
        From :meth:`riskkit.audit_log.ScoreLog.override_rates` (with ``band_order`` for the
        upward measure).
    config : MonitoringConfig
        ``override_rate_gap``, ``p_value`` and ``min_scores``.

    Returns
    -------
    list of OverrideComparison
        Sorted by attribute, group and measure. The ``band`` attribute is compared too (some
        bands are overridden more, by design of the work), but only sensitive groups and case
        workers are flagged.
    """
    totals: dict[str, tuple[int, int, int]] = {}
    for rate in rates:
        n, k, up = totals.get(rate.attribute, (0, 0, 0))
        totals[rate.attribute] = (n + rate.n_scores, k + rate.n_overridden, up + rate.n_up)
    found = []
    for rate in rates:
        n_all, k_all, up_all = totals[rate.attribute]
        for measure, count, count_all in (
            ("overridden", rate.n_overridden, k_all),
            ("moved_up", rate.n_up, up_all),
        ):
            rest_n = n_all - rate.n_scores
            rest_k = count_all - count
            share = count / rate.n_scores if rate.n_scores else 0.0
            rest_share = rest_k / rest_n if rest_n else 0.0
            p_value = two_proportion_p_value(count, rate.n_scores, rest_k, rest_n)
            flagged = (
                rate.attribute != "band"
                and rate.n_scores >= config.min_scores
                and rest_n >= config.min_scores
                and abs(share - rest_share) > config.override_rate_gap
                and p_value < config.p_value
            )
            found.append(
                OverrideComparison(
                    attribute=rate.attribute,
                    group=rate.group,
                    measure=measure,  # type: ignore[arg-type]
                    n_scores=rate.n_scores,
                    count=count,
                    rate=share,
                    rest_rate=rest_share,
                    p_value=p_value,
                    flagged=flagged,
                )
            )
    return sorted(found, key=lambda c: (c.attribute, c.group, c.measure))
