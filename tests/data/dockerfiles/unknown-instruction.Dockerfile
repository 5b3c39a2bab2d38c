FROM scratch AS a
FOO bar
