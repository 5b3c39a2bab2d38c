FROM scratch AS a
RUN echo one \
   	 
FROM x AS swallowed
FROM scratch AS b
