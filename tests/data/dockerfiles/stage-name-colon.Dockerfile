FROM scratch AS a:b
