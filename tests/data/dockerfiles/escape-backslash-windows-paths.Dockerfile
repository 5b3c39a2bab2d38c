FROM scratch AS build
COPY app\ C:\app\
FROM scratch AS runtime
FROM scratch AS last
