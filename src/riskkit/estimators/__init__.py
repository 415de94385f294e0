"""scikit-learn compatible models: the additive boosted model and risk bands."""
