"""The release capability: build every platform, push by digest, verify what the registry holds, then tag it.

Plural for the same reason as :mod:`buildorch.builds`: :func:`buildorch.release` is the public function.
"""
