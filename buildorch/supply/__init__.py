"""Supply chain: SBOMs (syft), signatures and attestations (cosign), vulnerability scans (govulncheck), all offline.

The tools themselves run in :mod:`buildorch.engine.tools`; this package decides what to run on which digest.
"""
