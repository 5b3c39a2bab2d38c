ARG A=1
ARG B
FROM scratch AS a
ARG C=3 D
