# a comment first
# escape=`
FROM scratch AS a
RUN echo `
FROM scratch AS b
