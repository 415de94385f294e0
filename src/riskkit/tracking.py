"""The only module that talks to MLflow: runs, artifacts, the model registry, aliases and
integrity hashes.

Tracking store: ``MLFLOW_TRACKING_URI`` when set, otherwise MLflow's own default (a SQLite file
``mlflow.db`` in the working directory). A model is stored as a custom pyfunc whose artifacts are
a *bundle* directory holding no pickle: ``model.json`` (the estimator's state), ``booster.txt``
(LightGBM's text model), ``pipeline.json`` (the pipeline configuration it was trained with) and,
when the pipeline asks for uncertainty intervals, ``intervals.json`` (the bootstrap refits' tables)
and, for a model trained since drift monitoring exists, ``reference.json`` (the training part's
reference profile: bin edges and counts per feature and for the score, no rows; see
:mod:`riskkit.monitoring.profile`).
A needs model's bundle has no ``booster.txt``: its ``model.json`` is
:meth:`~riskkit.estimators.needs.NeedsModel.get_state`, which holds every domain's LightGBM text
model. The SHA-256 of each bundle file is recorded on the model version and checked on every load.

:func:`load_model` returns a :class:`LoadedModel` for either kind: ``.bundle`` is a risk model's
:class:`ModelBundle`, ``.needs_model`` a needs model's :class:`~riskkit.estimators.needs.NeedsModel`
(``.kind`` says which; asking a model for the other kind's part is an error that says so).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import mlflow
import mlflow.artifacts
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.pyfunc.model import PythonModel
from mlflow.tracking import MlflowClient

from riskkit import __version__
from riskkit.config import PipelineConfig
from riskkit.errors import ModelNotFoundError, RiskkitError
from riskkit.estimators.bands import assign_bands
from riskkit.estimators.calibration import RiskModel, estimator_from_state
from riskkit.estimators.needs import NeedsModel
from riskkit.estimators.uncertainty import BootstrapIntervals
from riskkit.monitoring.profile import REFERENCE_FILE, ReferenceProfile

CHAMPION = "champion"
BUNDLE_FILES: tuple[str, ...] = ("model.json", "booster.txt", "pipeline.json")
#: The bootstrap refits of a risk model's uncertainty interval (only when the pipeline has them).
INTERVALS_FILE = "intervals.json"
NEEDS_BUNDLE_FILES: tuple[str, ...] = ("model.json", "pipeline.json")
_REFERENCE = re.compile(r"^(?:models:/)?(?P<name>[^@/]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))?$")

logging.getLogger("mlflow").setLevel(logging.WARNING)
logging.getLogger("alembic").setLevel(logging.WARNING)


@dataclass(frozen=True)
class ModelBundle:
    """A fitted model with the pipeline configuration it was trained with, the bootstrap
    refits that give each score its uncertainty interval (when the pipeline asks for them) and
    the reference profile of its training part (None for a model registered before drift
    monitoring; ``riskkit monitor drift`` needs it)."""

    estimator: RiskModel
    config: PipelineConfig
    intervals: BootstrapIntervals | None = None
    reference: ReferenceProfile | None = None


@dataclass(frozen=True)
class NeedsBundle:
    """A fitted needs model with the pipeline configuration it was trained with."""

    estimator: NeedsModel
    config: PipelineConfig


@dataclass(frozen=True)
class LoadedModel:
    """A registered model version, loaded.

    Attributes
    ----------
    name, version, alias
        Where it was registered (``alias`` is None when loaded by version).
    stored : ModelBundle or NeedsBundle
        The model and its pipeline. Use :attr:`bundle` for a risk model and
        :attr:`needs_model` (or :attr:`needs_bundle`) for a needs model.
    """

    name: str
    version: int
    alias: str | None
    stored: ModelBundle | NeedsBundle

    @property
    def reference(self) -> str:
        """``NAME@alias`` or ``NAME/version``."""
        return f"{self.name}@{self.alias}" if self.alias else f"{self.name}/{self.version}"

    @property
    def kind(self) -> Literal["risk", "needs"]:
        """``"risk"`` or ``"needs"``."""
        return "needs" if isinstance(self.stored, NeedsBundle) else "risk"

    @property
    def config(self) -> PipelineConfig:
        """The pipeline the model was trained with."""
        return self.stored.config

    @property
    def bundle(self) -> ModelBundle:
        """A risk model and its pipeline.

        Raises
        ------
        RiskkitError
            When this is a needs model (it has no risk score, band or outcome).
        """
        if isinstance(self.stored, NeedsBundle):
            raise RiskkitError(
                f"model {self.reference} is a needs model (pipeline {self.stored.config.name!r}, "
                "[model] kind = 'needs'): it gives a needs profile, not a risk score, so it "
                "cannot be used where a risk model is expected (scoring, audits). Use "
                "LoadedModel.needs_model, or load a risk model"
            )
        return self.stored

    @property
    def needs_bundle(self) -> NeedsBundle:
        """A needs model and its pipeline.

        Raises
        ------
        RiskkitError
            When this is a risk model.
        """
        if not isinstance(self.stored, NeedsBundle):
            raise RiskkitError(
                f"model {self.reference} is a risk model (pipeline {self.stored.config.name!r}), "
                "not a needs model; use LoadedModel.bundle"
            )
        return self.stored

    @property
    def needs_model(self) -> NeedsModel:
        """The fitted :class:`~riskkit.estimators.needs.NeedsModel` of a needs model.

        Raises
        ------
        RiskkitError
            When this is a risk model.
        """
        return self.needs_bundle.estimator


@dataclass(frozen=True)
class RegisteredVersion:
    """Where a training run went."""

    name: str
    version: int
    alias: str | None
    run_id: str
    experiment_id: str
    tracking_uri: str


def tracking_uri() -> str:
    """The tracking store in use (``MLFLOW_TRACKING_URI`` or MLflow's default)."""
    return str(mlflow.get_tracking_uri())


# -- the bundle (no pickle) -------------------------------------------------------------------
def save_bundle(bundle: ModelBundle | NeedsBundle, directory: Path) -> dict[str, str]:
    """Write a bundle's files into ``directory``; returns each file's SHA-256.

    A risk bundle is ``model.json``, ``booster.txt`` and ``pipeline.json`` (with
    ``intervals.json`` and ``reference.json`` when the bundle has them); a needs bundle is
    ``model.json`` (the needs model's state, LightGBM text models included) and
    ``pipeline.json``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(bundle, NeedsBundle):
        names = NEEDS_BUNDLE_FILES
        (directory / "model.json").write_text(
            json.dumps(bundle.estimator.get_state(), indent=1), encoding="utf-8"
        )
    else:
        names = BUNDLE_FILES
        state, booster_text = bundle.estimator.get_state()
        (directory / "model.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
        (directory / "booster.txt").write_text(booster_text, encoding="utf-8")
        if bundle.intervals is not None:
            names = (*names, INTERVALS_FILE)
            (directory / INTERVALS_FILE).write_text(
                json.dumps(bundle.intervals.get_state()), encoding="utf-8"
            )
        if bundle.reference is not None:
            names = (*names, REFERENCE_FILE)
            (directory / REFERENCE_FILE).write_text(
                json.dumps(bundle.reference.to_dict(), indent=1), encoding="utf-8"
            )
    (directory / "pipeline.json").write_text(
        bundle.config.model_dump_json(indent=1), encoding="utf-8"
    )
    return {name: _sha256(directory / name) for name in names}


def _check_file(directory: Path, name: str, expected_hashes: Mapping[str, str] | None) -> None:
    if not (directory / name).is_file():
        raise RiskkitError(f"model bundle {directory} lacks {name}; re-register the model")
    if expected_hashes and name in expected_hashes:
        actual = _sha256(directory / name)
        if actual != expected_hashes[name]:
            raise RiskkitError(
                f"integrity check failed for {directory / name}: SHA-256 {actual} differs "
                f"from {expected_hashes[name]} recorded at registration; the stored model was "
                "changed after it was registered. Do not use it; retrain or restore it."
            )


def read_bundle(
    directory: Path, expected_hashes: Mapping[str, str] | None = None
) -> ModelBundle | NeedsBundle:
    """Read a risk or needs bundle written by :func:`save_bundle`, checking file hashes when
    given (the pipeline's ``[model] kind`` says which it is)."""
    _check_file(directory, "pipeline.json", expected_hashes)
    config = PipelineConfig.model_validate_json((directory / "pipeline.json").read_text("utf-8"))
    names = NEEDS_BUNDLE_FILES if config.is_needs else BUNDLE_FILES
    for name in names:
        _check_file(directory, name, expected_hashes)
    state = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    if config.is_needs:
        return NeedsBundle(NeedsModel.from_state(state), config)
    booster_text = (directory / "booster.txt").read_text(encoding="utf-8")
    intervals = None
    if (directory / INTERVALS_FILE).is_file() or (
        expected_hashes and INTERVALS_FILE in expected_hashes
    ):
        _check_file(directory, INTERVALS_FILE, expected_hashes)
        intervals = BootstrapIntervals.from_state(
            json.loads((directory / INTERVALS_FILE).read_text(encoding="utf-8"))
        )
    reference = None
    if (directory / REFERENCE_FILE).is_file() or (
        expected_hashes and REFERENCE_FILE in expected_hashes
    ):
        _check_file(directory, REFERENCE_FILE, expected_hashes)
        reference = ReferenceProfile.from_dict(
            json.loads((directory / REFERENCE_FILE).read_text(encoding="utf-8"))
        )
    return ModelBundle(estimator_from_state(state, booster_text), config, intervals, reference)


def load_bundle(directory: Path, expected_hashes: Mapping[str, str] | None = None) -> ModelBundle:
    """Read a risk model's bundle written by :func:`save_bundle`, checking file hashes when
    given.

    Raises
    ------
    RiskkitError
        When a file is missing or was changed, or the bundle holds a needs model (read it with
        :func:`read_bundle`).
    """
    bundle = read_bundle(directory, expected_hashes)
    if isinstance(bundle, NeedsBundle):
        raise RiskkitError(
            f"model bundle {directory} holds a needs model (pipeline {bundle.config.name!r}), "
            "not a risk model; read it with riskkit.tracking.read_bundle"
        )
    return bundle


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class RiskkitPyfuncModel(PythonModel):
    """MLflow pyfunc wrapper.

    A risk model predicts probability, band and per-feature contributions (probability
    points), so any MLflow consumer gets the explanation with the score. A needs model predicts
    ``probability_<domain>`` and ``level_<domain>`` for each modelled domain (never a total).
    """

    def load_context(self, context: Any) -> None:
        hashes = json.loads(Path(context.artifacts["hashes"]).read_text(encoding="utf-8"))
        self.stored = read_bundle(Path(context.artifacts["bundle"]), hashes)

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        if isinstance(self.stored, NeedsBundle):
            return needs_output(self.stored.estimator, model_input)
        estimator, config = self.stored.estimator, self.stored.config
        probability = estimator.predict_proba(model_input)[:, 1]
        contributions = estimator.contributions(model_input).add_prefix("contribution_")
        out = pd.DataFrame(
            {
                "probability": probability,
                "band": assign_bands(probability, config.band_thresholds(), config.band_names()),
            },
            index=model_input.index,
        )
        return pd.concat([out, contributions], axis=1)


def needs_output(model: NeedsModel, records: pd.DataFrame) -> pd.DataFrame:
    """A needs model's pyfunc output: ``probability_<domain>`` then ``level_<domain>`` for each
    domain, in the model's domain order, indexed like ``records``."""
    probability = model.predict_proba(records)
    levels = model.levels(records)
    columns: dict[str, pd.Series] = {}
    for domain in model.domains_:
        columns[f"probability_{domain}"] = probability[domain].astype("float64")
        columns[f"level_{domain}"] = levels[domain].astype(object)
    return pd.DataFrame(columns, index=records.index)


# -- runs and registry -------------------------------------------------------------------------
def _pip_requirements() -> list[str]:
    from importlib.metadata import version

    # Listed explicitly: MLflow's own inference spends seconds in a subprocess.
    return [f"{pkg}=={version(pkg)}" for pkg in ("mlflow", "lightgbm", "pandas", "numpy")]


def log_and_register(
    bundle: ModelBundle | NeedsBundle,
    *,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    artifacts: Mapping[str, Path] | None = None,
    promote: bool = True,
    version_tags: Mapping[str, str] | None = None,
    run_name: str | None = None,
) -> RegisteredVersion:
    """Log a training run (params, metrics, tags, files, the model) and register the model.

    The alias ``champion`` is moved to the new version when ``promote`` is true. The run is
    named ``run_name``, by default ``<pipeline>-train``.
    """
    config = bundle.config
    _use_experiment(config.tracking.experiment)
    with mlflow.start_run(run_name=run_name or f"{config.name}-train") as run:
        mlflow.log_params({k: _param(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
        mlflow.set_tags({**tags, "riskkit_version": __version__})
        for path in (artifacts or {}).values():
            mlflow.log_artifact(str(path))
        with tempfile.TemporaryDirectory() as tmp:
            bundle_dir = Path(tmp) / "bundle"
            hashes = save_bundle(bundle, bundle_dir)
            hashes_path = Path(tmp) / "hashes.json"
            hashes_path.write_text(json.dumps(hashes, indent=1), encoding="utf-8")
            with warnings.catch_warnings():
                # the signature is given explicitly; an input example would add seconds
                warnings.filterwarnings("ignore", message=".*input example was not provided")
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=str(Path(__file__).with_name("pyfunc_model.py")),
                    signature=_signature(bundle),
                    artifacts={"bundle": str(bundle_dir), "hashes": str(hashes_path)},
                    pip_requirements=_pip_requirements(),
                )
        # MLflow prints "Successfully registered model..." itself; riskkit reports the version
        with contextlib.redirect_stderr(io.StringIO()):
            model_version = mlflow.register_model(info.model_uri, config.tracking.model_name)
    client = MlflowClient()
    version = int(model_version.version)
    tags_on_version = {f"sha256_{name}": digest for name, digest in hashes.items()}
    for key, value in {**tags_on_version, **(version_tags or {})}.items():
        client.set_model_version_tag(config.tracking.model_name, str(version), key, value)
    alias = None
    if promote:
        client.set_registered_model_alias(config.tracking.model_name, CHAMPION, str(version))
        alias = CHAMPION
    return RegisteredVersion(
        name=config.tracking.model_name,
        version=version,
        alias=alias,
        run_id=run.info.run_id,
        experiment_id=run.info.experiment_id,
        tracking_uri=tracking_uri(),
    )


def attach_files(run_id: str, paths: list[Path]) -> None:
    """Add files to a finished run's artifacts (the model card is written after registration,
    once the version number is known)."""
    client = MlflowClient()
    for path in paths:
        client.log_artifact(run_id, str(path))


def version_file_text(name: str, version: int, path: str) -> str | None:
    """A text file of a registered version's run artifacts (such as ``model_card.md``); None
    when the version, or the file in its run, does not exist."""
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        found = client.get_model_version(name, str(version))
        with tempfile.TemporaryDirectory() as folder:
            local = mlflow.artifacts.download_artifacts(
                run_id=found.run_id, artifact_path=path, dst_path=folder
            )
            return Path(local).read_text(encoding="utf-8")
    except (MlflowException, OSError):
        return None


def _use_experiment(name: str) -> None:
    """Select the experiment, creating it if needed. With a SQLite store its artifacts go in
    ``mlartifacts/`` beside the database file rather than under the working directory."""
    client = MlflowClient()
    if client.get_experiment_by_name(name) is None:
        uri = tracking_uri()
        location = None
        if uri.startswith("sqlite:///"):
            database = Path(uri.removeprefix("sqlite:///")).resolve()
            location = (database.parent / "mlartifacts").as_uri()
        client.create_experiment(name, artifact_location=location)
    mlflow.set_experiment(name)


def pyfunc_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Records as the pyfunc's signature takes them: categories as text, numbers as float."""
    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype(object).where(out[name].notna(), None)
        else:
            out[name] = out[name].astype("float64")
    return out


def _signature(bundle: ModelBundle | NeedsBundle) -> Any:
    """The pyfunc's input and output schema: the model's features in; probability, band and
    one contribution per feature out (risk), or a probability and a level per domain (needs)."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    if isinstance(bundle, NeedsBundle):
        needs = bundle.estimator
        categorical = {str(name) for model in needs.models_.values() for name in model.categories_}
        needs_inputs: list[Any] = [
            ColSpec("string" if str(name) in categorical else "double", str(name))
            for name in needs.feature_names_in_
        ]
        needs_outputs: list[Any] = []
        for domain in needs.domains_:
            needs_outputs += [
                ColSpec("double", f"probability_{domain}"),
                ColSpec("string", f"level_{domain}"),
            ]
        return ModelSignature(inputs=Schema(needs_inputs), outputs=Schema(needs_outputs))
    estimator = bundle.estimator
    inputs: list[Any] = [
        ColSpec("string" if str(name) in estimator.categories_ else "double", str(name))
        for name in estimator.feature_names_in_
    ]
    outputs: list[Any] = [ColSpec("double", "probability"), ColSpec("string", "band")] + [
        ColSpec("double", f"contribution_{name}") for name in estimator.feature_names_in_
    ]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:6000]


@dataclass(frozen=True)
class Champion:
    """The version the ``champion`` alias points at, with its run's metrics."""

    version: int
    metrics: dict[str, float]


def champion(model_name: str) -> Champion | None:
    """The current champion of ``model_name``, or None when there is none yet."""
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        found = client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None
    metrics = dict(client.get_run(found.run_id).data.metrics) if found.run_id else {}
    return Champion(version=int(found.version), metrics=metrics)


@dataclass(frozen=True)
class VersionListing:
    """One registered version as the registry lists it."""

    version: int
    aliases: tuple[str, ...]
    kind: str | None
    promotion: str | None
    created_at: int
    run_id: str | None


@dataclass(frozen=True)
class ModelListing:
    """A registered model: its aliases (alias -> version) and its versions, oldest first."""

    name: str
    aliases: dict[str, int]
    versions: tuple[VersionListing, ...]


def registered_models() -> list[ModelListing]:
    """Every model in the registry, by name, with its aliases and versions (kind and promotion
    decision from the version tags; ``kind`` is None for versions registered before riskkit
    tagged it)."""
    client = MlflowClient()
    listed = []
    for registered in client.search_registered_models():
        aliases = {str(a): int(v) for a, v in (getattr(registered, "aliases", {}) or {}).items()}
        versions = []
        for found in client.search_model_versions(f"name='{registered.name}'"):
            number = int(found.version)
            versions.append(
                VersionListing(
                    version=number,
                    aliases=tuple(sorted(a for a, v in aliases.items() if v == number)),
                    kind=found.tags.get("riskkit_kind"),
                    promotion=found.tags.get("promotion"),
                    created_at=int(found.creation_timestamp or 0),
                    run_id=found.run_id,
                )
            )
        versions.sort(key=lambda v: v.version)
        listed.append(ModelListing(registered.name, aliases, tuple(versions)))
    return sorted(listed, key=lambda m: m.name)


def version_metrics(name: str, version: int) -> dict[str, float]:
    """The run metrics of a registered version (its model card's figures: ``test_auc``, ...);
    empty when the version has no run."""
    client = MlflowClient()
    found = client.get_model_version(name, str(version))
    return dict(client.get_run(found.run_id).data.metrics) if found.run_id else {}


def parse_reference(reference: str) -> tuple[str, str | None, int | None]:
    """Split ``NAME@alias``, ``NAME/version`` or ``NAME`` (meaning ``NAME@champion``)."""
    match = _REFERENCE.match(reference.strip())
    if not match:
        raise RiskkitError(
            f"cannot read the model reference {reference!r}; write NAME@ALIAS "
            f"(e.g. recidivism@champion) or NAME/VERSION (e.g. recidivism/3)"
        )
    version = match["version"]
    alias = match["alias"] or (None if version else CHAMPION)
    return match["name"], alias, int(version) if version else None


def load_model(reference: str) -> LoadedModel:
    """Load a registered model (risk or needs) by ``NAME@alias`` or ``NAME/version``.

    A risk model is ``.bundle`` (estimator and pipeline); a needs model is ``.needs_model``
    (the :class:`~riskkit.estimators.needs.NeedsModel`, rebuilt from its JSON state) and
    ``.needs_bundle``. ``.kind`` says which.

    Raises
    ------
    ModelNotFoundError
        Naming the registered models (or their aliases and versions) that do exist.
    """
    from mlflow.exceptions import MlflowException

    name, alias, version = parse_reference(reference)
    client = MlflowClient()
    try:
        if alias is not None:
            found = client.get_model_version_by_alias(name, alias)
        else:
            found = client.get_model_version(name, str(version))
    except MlflowException:
        raise ModelNotFoundError(_missing_model_message(client, name, alias, version)) from None
    hashes = {
        key.removeprefix("sha256_"): value
        for key, value in found.tags.items()
        if key.startswith("sha256_")
    }
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{found.version}", dst_path=tmp
            )
        )
        bundle_dirs = list(local.rglob("model.json"))
        if not bundle_dirs:
            raise RiskkitError(f"registered model {name}/{found.version} holds no riskkit bundle")
        stored = read_bundle(bundle_dirs[0].parent, hashes)
    return LoadedModel(name=name, version=int(found.version), alias=alias, stored=stored)


def _missing_model_message(
    client: MlflowClient, name: str, alias: str | None, version: int | None
) -> str:
    store = tracking_uri()
    models = [m.name for m in client.search_registered_models()]
    if name not in models:
        known = ", ".join(sorted(models)) or "none"
        return (
            f"no registered model {name!r} in the tracking store {store} (registered models: "
            f"{known}). Train one with `riskkit train PIPELINE`, or set MLFLOW_TRACKING_URI to the "
            "store that holds it."
        )
    details = client.get_registered_model(name)
    aliases = ", ".join(f"{a}->v{v}" for a, v in sorted(details.aliases.items())) or "none"
    what = f"alias {alias!r}" if alias else f"version {version}"
    return f"model {name!r} has no {what} in {store}; its aliases: {aliases}"


def environment_tags() -> dict[str, str]:
    """Package versions and the git commit, for reproducibility."""
    from importlib.metadata import version

    tags = {
        f"version_{pkg}": version(pkg)
        for pkg in ("lightgbm", "scikit-learn", "pandas", "numpy", "mlflow")
    }
    commit = _git_commit()
    if commit:
        tags["git_commit"] = commit
    return tags


def _git_commit() -> str | None:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=Path.cwd(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
