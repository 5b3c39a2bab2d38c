FROM scratch AS -a
