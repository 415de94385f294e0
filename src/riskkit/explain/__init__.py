"""Explanations: contributions in probability points, reasons, recourse."""
