FROM scratch AS first
FROM first AS second
