FROM --platform scratch AS a
