FROM scratch AS a
RUN cat /proc/self/fd/3 3<<EOF
FROM x AS fd
EOF
FROM scratch AS b
