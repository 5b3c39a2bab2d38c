FROM scratch AS a
RUN <<EOF
FROM x AS never-ends
