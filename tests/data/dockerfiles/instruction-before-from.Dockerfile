ENV A=1
FROM scratch AS a
