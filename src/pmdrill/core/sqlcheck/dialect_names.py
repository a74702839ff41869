"""The dialects a candidate may write, as every face lists them (kept apart so a face can list them
without importing the translator)."""

CHOICES: tuple[str, ...] = ("duckdb", "postgres", "mysql", "bigquery")
