"""Metrics: saliency-map agreement, rank / linear correlation, full-reference fidelity."""
