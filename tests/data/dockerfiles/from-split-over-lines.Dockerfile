FROM --platform=$BUILDPLATFORM \
     scratch \
     AS split
FROM split AS b
