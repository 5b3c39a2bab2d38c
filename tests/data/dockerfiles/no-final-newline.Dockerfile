FROM scratch AS a
FROM a AS b