FROM scratch AS a
RUN echo \
  hi
FROM a AS b
