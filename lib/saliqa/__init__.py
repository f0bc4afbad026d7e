"""saliqa: the shared library of the saliency / image-quality reproducibility collection.

Every notebook computes through this package; see ``DESIGN.md`` (shared) for the module map.
"""

__version__ = "0.1.0"
