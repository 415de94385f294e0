"""Training: ``train(config) -> TrainResult``."""
