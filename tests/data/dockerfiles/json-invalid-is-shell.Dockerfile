FROM scratch AS a
RUN ["echo", unquoted]
FROM scratch AS b
