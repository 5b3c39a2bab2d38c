FROM scratch AS app
RUN <<EOF
FROM x AS injected
EOF
FROM scratch AS runtime
