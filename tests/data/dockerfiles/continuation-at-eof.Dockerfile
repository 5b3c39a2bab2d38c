FROM scratch AS a
RUN echo \