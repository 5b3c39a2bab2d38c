FROM scratch AS a
RUN <<EOF
EOF 
 EOF
FROM x AS still-body
EOF
FROM scratch AS b
