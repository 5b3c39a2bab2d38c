FROM scratch AS a
RUN ["echo", 1]
