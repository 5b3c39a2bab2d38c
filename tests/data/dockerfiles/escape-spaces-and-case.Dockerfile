   #   ESCAPE   =   `   
FROM scratch AS a
COPY a\ b\
FROM x AS r
