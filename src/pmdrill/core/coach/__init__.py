"""The practice loop as pure functions: ratings and FSRS review, progress, mocks, the debrief, the plan."""
