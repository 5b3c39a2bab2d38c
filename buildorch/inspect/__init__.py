"""Looking inside images and stages without needing a shell in them: inspect one image, compare two,
smoke-test one (run it, probe HTTP), and debug a stage (build it, then run a command or export its files).
"""
