FROM --foo=1 scratch AS a
