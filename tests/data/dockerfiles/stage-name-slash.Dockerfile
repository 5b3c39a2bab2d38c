FROM scratch AS my/stage
