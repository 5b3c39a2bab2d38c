"""Everything that talks to the outside: docker and buildx (through python-on-whales), containers, registries over HTTP.

Every process buildorch runs and every socket it opens is here, and so is the
translation of their failures into :class:`~buildorch.core.errors.BuildorchError`.
"""
