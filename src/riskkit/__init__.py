"""riskkit: interpretable recidivism-risk and reintegration-need models, audits and case reports.

Importing the package is cheap on purpose: heavy libraries (pandas, LightGBM, MLflow, fairlearn)
are imported inside the functions that need them, so the command line starts fast.
"""

__version__ = "0.1.0"
