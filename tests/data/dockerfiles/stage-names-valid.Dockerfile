FROM scratch AS Builder
FROM scratch as a..b
FROM scratch As a-b_c.d
FROM scratch aS x_
FROM scratch AS z9
FROM scratch
