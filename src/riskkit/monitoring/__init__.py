"""Monitoring a model in use (``riskkit monitor``): drift of the population it scores against
the reference profile stored with the model, outcomes and recalibration, and overrides.

Nothing is imported here: each submodule is imported where it is used, so ``riskkit`` starts
fast and the submodules stay independent.
"""
