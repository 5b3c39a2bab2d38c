FROM scratch AS a
RUN ["sh", "-c", "cat <<EOF"]
FROM scratch AS after-json
