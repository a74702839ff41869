"""Case judgement: the case bank (rubrics, red flags), stance detection, local embeddings and scoring.

Entry points: ``loader.default_bank()``, ``loader.generic_case()``, ``score.Scorer``.
"""
