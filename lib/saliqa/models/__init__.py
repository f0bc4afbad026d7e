"""Models: backbones and the studies' networks."""
