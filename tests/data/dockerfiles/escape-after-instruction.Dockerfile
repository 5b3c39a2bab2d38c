FROM scratch AS a
# escape=`
RUN echo \
FROM x AS swallowed
FROM scratch AS b
