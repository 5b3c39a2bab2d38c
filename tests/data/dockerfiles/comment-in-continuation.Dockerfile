FROM scratch AS a
RUN echo one \
# FROM x AS commented
  && echo two \
    # indented comment
  && echo three
FROM scratch AS b
