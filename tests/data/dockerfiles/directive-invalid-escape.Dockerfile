# escape=x
FROM scratch AS a
