from scratch as a
run <<eof
from x as lower
eof
from scratch as b
