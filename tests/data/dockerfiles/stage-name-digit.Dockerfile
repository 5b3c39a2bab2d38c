FROM scratch AS ok
FROM scratch AS 1st
