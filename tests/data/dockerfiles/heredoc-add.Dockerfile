FROM scratch AS a
ADD <<EOF /x
FROM x AS added
EOF
FROM scratch AS b
