FROM scratch AS a
COPY <<one.txt <<two.txt /dest/
FROM x AS first-body
one.txt
FROM x AS second-body
two.txt
FROM scratch AS b
