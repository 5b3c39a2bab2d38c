from scratch as a
run echo hi
copy . /
from a as b
