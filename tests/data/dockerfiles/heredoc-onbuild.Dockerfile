FROM scratch AS a
ONBUILD RUN <<EOF
FROM x AS onbuild-body
EOF
FROM scratch AS b
