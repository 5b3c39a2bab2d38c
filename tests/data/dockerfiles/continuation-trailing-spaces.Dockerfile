FROM scratch AS a
RUN echo \   	
FROM x AS swallowed
FROM scratch AS b
