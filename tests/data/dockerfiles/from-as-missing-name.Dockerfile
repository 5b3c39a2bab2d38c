FROM scratch AS
