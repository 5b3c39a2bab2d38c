from buildorch.cli import main

main()
