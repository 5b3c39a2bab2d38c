ARG NAME=x
FROM scratch AS ${NAME}
