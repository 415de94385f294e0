"""The end-to-end demo: records in, a registered interpretable model, an audit and scored case
reports out, on the bundled synthetic population. Runs offline in about a minute."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from riskkit.errors import RiskkitError

DEMO_CASES = 12


def run_demo(
    *,
    workdir: Path,
    pipeline: Path,
    rows: int = 20_000,
    language: str = "es",
    say: Callable[[str], None] = print,
) -> dict[str, Path]:
    """Run the demo; returns the outputs by description.

    The MLflow store is ``<workdir>/mlflow.db`` unless ``MLFLOW_TRACKING_URI`` is set.
    """
    from riskkit.config import load_pipeline
    from riskkit.data.io import write_records
    from riskkit.data.synthetic import generate_population

    started = time.perf_counter()
    if not pipeline.is_file():
        raise RiskkitError(
            f"the demo pipeline {pipeline} does not exist; run the demo from the riskkit "
            "checkout (where pipelines/recidivism.toml is) or pass --pipeline"
        )
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if "MLFLOW_TRACKING_URI" not in os.environ:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{workdir / 'mlflow.db'}"
    config = load_pipeline(pipeline)
    seed = config.data.seed
    outputs: dict[str, Path] = {}

    say(f"[1/5] generating {rows} synthetic people (seed {seed}) and two fresh cohorts")
    data_dir = workdir / "data"
    outputs["training population"] = write_records(
        generate_population(rows, seed=seed), data_dir / "population.csv"
    )
    outputs["audit cohort"] = write_records(
        generate_population(5_000, seed=seed + 1), data_dir / "audit_cohort.csv"
    )
    cases = generate_population(DEMO_CASES, seed=seed + 2)
    cases = cases.drop(columns=[c for c in cases.columns if c.startswith(("need_", "re"))])
    broken = cases.iloc[[0]].astype(object).copy()
    broken["person_id"] = "SYN-BROKEN-1"
    broken["age"] = 7  # below the registry's minimum: shows how invalid rows are rejected
    broken["housing"] = "shelter"
    cases = cases.astype(object)
    cases.loc[len(cases)] = broken.iloc[0]
    outputs["new cases to score"] = write_records(cases, data_dir / "new_cases.csv")

    say(f"[2/5] validating the records and training pipeline {config.name!r}")
    from riskkit.training.pipeline import train

    result = train(
        config,
        data=outputs["training population"],
        models_dir=workdir / "models",
        progress=lambda line: say("      " + line),
    )
    outputs["model card"] = result.files["card_html"]
    outputs["model metrics"] = result.files["metrics"]
    if f"scorecard_{language}" in result.files:
        outputs["printable points scorecard"] = result.files[f"scorecard_{language}"]
    if result.promoted:
        reference = f"{result.model_name}@champion"
    else:
        reference = f"{result.model_name}/{result.version}"
        say(f"      note: {result.promotion}; the demo goes on with {reference}")

    from riskkit.tracking import load_model

    model = load_model(reference)

    needs_pipeline = pipeline.parent / "needs.toml"
    needs_model = None
    if needs_pipeline.is_file():
        say(f"[3/5] training the needs model ({needs_pipeline.name}): one model per need domain")
        needs_result = train(
            load_pipeline(needs_pipeline),
            data=outputs["training population"],
            models_dir=workdir / "models",
            progress=lambda line: say("      " + line),
        )
        outputs["needs model card"] = needs_result.files["card_html"]
        needs_model = load_model(f"{needs_result.model_name}/{needs_result.version}").needs_model
    else:
        say(f"[3/5] no {needs_pipeline} beside the pipeline: case reports without needs")
    catalogue = None
    catalogue_file = pipeline.parent.parent / "catalogues" / "example.toml"
    if catalogue_file.is_file():
        from riskkit.scoring.catalogue import load_catalogue

        catalogue = load_catalogue(catalogue_file, band_names=config.band_names())
        outputs["example catalogue"] = catalogue_file

    say(
        f"[4/5] auditing {reference} on the audit cohort by "
        + ", ".join(config.sensitive.attributes)
    )
    from riskkit.fairness.model_audit import audit_model

    audit = audit_model(
        model,
        outputs["audit cohort"],
        sensitive=config.sensitive.attributes,
        out_dir=workdir / "audit",
        language=language,
    )
    outputs["audit (JSON)"] = audit.files["json"]
    outputs["audit (HTML)"] = audit.files["html"]
    if "pdf" in audit.files:
        outputs["audit (PDF)"] = audit.files["pdf"]

    say(f"[5/5] scoring {len(cases)} new cases with {reference}")
    from riskkit.scoring.batch import score_file

    summary = score_file(
        model,
        outputs["new cases to score"],
        workdir / "scores",
        language=language,
        progress=lambda line: say("      " + line),
        needs_model=needs_model,
        catalogue=catalogue,
        pdf=True,
    )
    outputs["case reports (JSON/HTML/PDF)"] = summary.out_dir
    if summary.caseload_path is not None:
        outputs["caseload"] = summary.caseload_path
    if summary.facility_path is not None:
        outputs["facility summary"] = summary.facility_path
    outputs["score index"] = summary.index_path
    if summary.rejects_path is not None:
        outputs["rejected cases, with reasons"] = summary.rejects_path
    store = os.environ["MLFLOW_TRACKING_URI"]
    if store.startswith("sqlite:///"):
        outputs["MLflow store"] = Path(store.removeprefix("sqlite:///"))
    say(
        f"model {reference} = v{result.version}: test AUC {result.metrics['test_auc']:.3f}, "
        f"Brier {result.metrics['test_brier']:.4f}; done in {time.perf_counter() - started:.0f} s"
    )
    return outputs
