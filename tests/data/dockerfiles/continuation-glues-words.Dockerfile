FROM scratch\
AS a
