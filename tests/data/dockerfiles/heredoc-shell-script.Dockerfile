FROM scratch AS builder
RUN <<EOT bash
set -e
if [ -f x ]; then \
  echo continued
fi
# FROM comment AS not-a-comment-here
FROM alpine AS in-script
EOT
FROM builder AS final
