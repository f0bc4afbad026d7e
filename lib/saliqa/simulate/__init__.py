"""Simulated observers (eye fixations, crowd clicks, ratings) from documented generative models.

:mod:`saliqa.simulate.attention` is seed 000's TUD-like study (notebook 01); its pieces are
:mod:`~saliqa.simulate.config`, :mod:`~saliqa.simulate.density`, :mod:`~saliqa.simulate.points`,
:mod:`~saliqa.simulate.workers` and :mod:`~saliqa.simulate.ratings`.
:mod:`saliqa.simulate.paq2piq` is seed 003's PaQ-2-PiQ-like database (notebook 02): pictures and
patches with regional real distortions, simulated raters, MOS by :mod:`saliqa.subjective`.
"""
