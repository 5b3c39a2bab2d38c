FROM scratch AS a
RUN --mount=type=cache,target=/root/.cache \
    --network=none \
    <<EOF
FROM x AS continued-body
EOF
FROM scratch AS b
