FROM scratch AS a
RUN <<-EOF
	FROM x AS tabbed
		EOF
FROM scratch AS b
