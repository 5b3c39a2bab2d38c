from buildorch.cli.entry import main

main()
