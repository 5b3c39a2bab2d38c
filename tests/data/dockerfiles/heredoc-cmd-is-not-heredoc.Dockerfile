FROM scratch AS a
CMD cat <<EOF
FROM scratch AS visible
EOF
