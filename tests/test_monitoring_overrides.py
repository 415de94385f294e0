"""Override monitoring: rates by group and case worker from the score log, flagged only where
they differ beyond the thresholds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskkit.cli import app
from riskkit.config import MonitoringConfig
from riskkit.monitoring.overrides import compare_override_rates, two_proportion_p_value
from tests.service_support import ServiceSetting, build_service

BANDS = ("low", "medium", "high")


def test_two_proportion_p_value_matches_a_hand_computed_z() -> None:
    # 30/100 against 10/100: pooled 0.2, z = 0.2 / sqrt(0.2 * 0.8 * 0.02) = 3.5355
    assert two_proportion_p_value(30, 100, 10, 100) == pytest.approx(0.000407, abs=2e-6)
    assert two_proportion_p_value(10, 100, 10, 100) == pytest.approx(1.0)
    assert two_proportion_p_value(0, 50, 0, 50) == 1.0
    assert two_proportion_p_value(3, 0, 1, 10) == 1.0


@pytest.fixture(scope="module")
def overridden_log(tmp_path_factory: pytest.TempPathFactory) -> ServiceSetting:
    """A log of 120 scores by two case workers; 'ana' moves most women up a band, 'bea'
    overrides nobody."""
    setting = build_service(tmp_path_factory.mktemp("overrides"), max_records=200)
    engine = setting.engine
    more = setting.records * 4  # build_service's 40 cases, with fresh ids
    records = [
        dict(r, person_id=f"{r['person_id']}-{i}", sex="female" if i % 2 else "male")
        for i, r in enumerate(more[:120])
    ]
    by_ana = engine.score(records[:60], user="ana", role="case_worker")
    engine.score(records[60:], user="bea", role="case_worker")
    for scored in by_ana:
        result = scored.result
        woman = records[by_ana.index(scored)]["sex"] == "female"
        position = BANDS.index(result.band)
        if woman and position < len(BANDS) - 1:
            engine.override(
                scored.entry_id,
                BANDS[position + 1],
                "seen in person",
                user="ana",
                role="case_worker",
            )
    return setting


def test_a_group_moved_up_more_often_is_flagged(overridden_log: ServiceSetting) -> None:
    rates = overridden_log.engine.log.override_rates(band_order=BANDS)
    config = MonitoringConfig(min_scores=20)
    found = {(c.attribute, c.group, c.measure): c for c in compare_override_rates(rates, config)}
    women = found[("sex", "female", "moved_up")]
    men = found[("sex", "male", "moved_up")]
    assert women.count > 0
    assert men.count == 0
    assert women.flagged
    assert women.rate == pytest.approx(women.count / women.n_scores)
    assert found[("case_worker", "ana", "overridden")].flagged
    assert found[("case_worker", "bea", "overridden")].count == 0
    assert not any(c.flagged for c in found.values() if c.attribute == "band")
    strict = MonitoringConfig(min_scores=20, override_rate_gap=0.99)
    assert not any(c.flagged for c in compare_override_rates(rates, strict))


def test_no_overrides_flags_nothing(tmp_path: Path) -> None:
    setting = build_service(tmp_path)
    setting.engine.score(setting.records[:30], user="ana", role="case_worker")
    rates = setting.engine.log.override_rates(band_order=BANDS)
    assert rates
    assert not any(c.flagged for c in compare_override_rates(rates, MonitoringConfig()))


def test_the_command_prints_the_flags_and_exits_non_zero(
    overridden_log: ServiceSetting, tmp_path: Path
) -> None:
    url = overridden_log.engine.log.url
    result = CliRunner().invoke(
        app, ["monitor", "overrides", "--log", url, "--out", str(tmp_path / "o.json")]
    )
    assert result.exit_code == 1, result.output
    assert "FLAG" in result.stdout
    assert "case_worker" in result.stdout
    document = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert document["flagged"] >= 1
    flagged = {(c["attribute"], c["group"]) for c in document["comparisons"] if c["flagged"]}
    assert ("case_worker", "ana") in flagged


def test_the_auditor_page_marks_the_flagged_groups(overridden_log: ServiceSetting) -> None:
    from fastapi.testclient import TestClient

    page = TestClient(overridden_log.app).get(
        "/log/overrides", headers=overridden_log.headers("auditor")
    )
    assert page.status_code == 200
    rows = {  # (attribute, group) -> the table row's HTML
        tuple(re.findall(r"<td[^>]*>([^<]*)", row)[:2]): row for row in page.text.split("<tr>")[1:]
    }
    assert "differs from the rest" in rows[("case_worker", "ana")]
    # with two case workers each is the other's "rest"; bands are compared but never flagged
    assert any(key[:1] == ("band",) for key in rows)
    assert all(
        "differs from the rest" not in row for key, row in rows.items() if key[:1] == ("band",)
    )
    assert "at least 30 scores on each side" in page.text
