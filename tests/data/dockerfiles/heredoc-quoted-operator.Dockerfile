FROM scratch AS a
RUN echo "<<EOF"
FROM scratch AS after-quoted
