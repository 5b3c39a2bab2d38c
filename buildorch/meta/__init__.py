"""``buildorch meta``: tags, version and OCI labels from the CI event, by docker/metadata-action's rules.

``inputs`` reads the tags/flavor/images lines, ``event`` what triggered the run (GitHub Actions,
GitLab CI or git), ``rules`` computes the result, ``template`` is the Handlebars/moment subset the
patterns use, ``config`` the ``[tool.buildorch.meta]`` table, ``resolve`` puts them together.
"""
