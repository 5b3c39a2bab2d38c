FROM scratch AS a
RUN << EOF
FROM x AS spaced
EOF
FROM scratch AS b
