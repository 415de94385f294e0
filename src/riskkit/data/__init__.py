"""Records in and out: readers and writers, column mapping, the record schema and its validation,
the synthetic population and adapters for public datasets."""
