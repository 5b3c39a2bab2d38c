"""The build capability: what to build (BuildSpec), the plan (the exact ``docker buildx build``), running it,
reading its progress, and the cache it imports and exports.

Named ``builds`` rather than ``build``: :func:`buildorch.build` is the public function, and a subpackage
named ``build`` would replace it on the ``buildorch`` package as soon as it was imported.
"""
