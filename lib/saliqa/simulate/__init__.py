"""Simulated observers (eye fixations, crowd clicks, ratings) from documented generative models."""
