"""The bake capability: several targets of a buildx bake file in one run, with buildorch's version args and caches.

buildx stays the authority on the file (``docker buildx bake --print``); this package adds VERSION/BUILD_TIME,
a local cache per target and one :class:`~buildorch.builds.spec.BuildResult` per target. Plural for the same
reason as :mod:`buildorch.builds`: :func:`buildorch.bake` is the public function.
"""
