FROM scratch AS a
FROM scratch AS b
FROM scratch AS A
