# escape=`
# escape=\
FROM scratch AS a
