FROM scratch AS a
RUN echo \\
FROM scratch AS after
