FROM scratch AS context
FROM context AS scratch
