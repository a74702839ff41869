"""The kinds and sides a KPI can have (kept apart so a face can list them without loading the library)."""

SIDES = ("learner", "educator", "business")
KINDS = ("outcome", "input", "guardrail", "vanity")
