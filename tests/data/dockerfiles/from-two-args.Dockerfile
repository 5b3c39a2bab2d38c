FROM scratch builder
