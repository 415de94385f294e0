"""Scoring: ``score_cases(model, records) -> list[ScoreResult]``."""
