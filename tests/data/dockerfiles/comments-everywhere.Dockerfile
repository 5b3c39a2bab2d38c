# leading comment

  # indented comment
FROM scratch AS a
    # FROM x AS commented
FROM scratch AS b
#FROM x AS c
