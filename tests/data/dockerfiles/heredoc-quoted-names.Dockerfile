FROM scratch AS a
RUN <<"EOF"
FROM x AS dq
EOF
RUN <<'END'
FROM x AS sq
END
RUN <<E"O"F
FROM x AS partly
EOF
FROM scratch AS b
