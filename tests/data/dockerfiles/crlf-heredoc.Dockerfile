FROM scratch AS a
RUN <<EOF
FROM x AS body
EOF
FROM scratch AS b
