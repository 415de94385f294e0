"""Scoring: ``score_cases(model, records) -> ScoredCases`` (``cases[i]`` is a ScoreResult)."""
