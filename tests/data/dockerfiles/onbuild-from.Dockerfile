FROM scratch AS a
ONBUILD FROM x AS y
