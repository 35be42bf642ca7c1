"""Heuristic rule families: each computes named signals from shared units; thresholds decide."""
