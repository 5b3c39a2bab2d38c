FROM scratch AS a
LABEL description="Ünïcödé — ☃"
RUN echo "日本語" \
  && echo done
FROM scratch AS b
