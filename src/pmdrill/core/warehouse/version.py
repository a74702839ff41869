"""Bump GENERATOR_VERSION whenever generated data changes, so caches keyed by it are rebuilt."""

GENERATOR_VERSION = 5
