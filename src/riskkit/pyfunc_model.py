"""MLflow "model from code" entry point: MLflow copies this file next to a logged riskkit model
and runs it at load time, so no Python object is pickled."""

from mlflow.models import set_model

from riskkit.tracking import RiskkitPyfuncModel

set_model(RiskkitPyfuncModel())
