"""The feature registry and the transformer built from it."""
