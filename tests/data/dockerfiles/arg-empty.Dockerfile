FROM scratch AS a
ARG
