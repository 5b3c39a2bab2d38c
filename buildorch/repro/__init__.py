"""Reproducibility: build twice from nothing and compare (``check.py``), and name the first
difference between two images the way diffoci does (``diff.py``, pure)."""
