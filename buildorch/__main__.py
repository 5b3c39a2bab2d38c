from buildorch.entry import main

main()
