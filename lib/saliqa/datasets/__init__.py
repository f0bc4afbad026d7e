"""Dataset loaders. Every loader returns the canonical tables of :mod:`saliqa.datasets.tables`."""
