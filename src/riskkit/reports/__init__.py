"""Rendering only: reports from result objects."""
