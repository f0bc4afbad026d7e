"""Simulated observers (eye fixations, crowd clicks, ratings) from documented generative models.

:mod:`saliqa.simulate.attention` is seed 000's TUD-like study (notebook 01); its pieces are
:mod:`~saliqa.simulate.config`, :mod:`~saliqa.simulate.density`, :mod:`~saliqa.simulate.points`,
:mod:`~saliqa.simulate.workers` and :mod:`~saliqa.simulate.ratings`.
"""
