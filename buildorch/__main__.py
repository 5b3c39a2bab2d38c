from buildorch.cli.entry import script

script()
