#!/bin/sh
# trace_ratelimit6.sh: trace_ratelimit.sh and trace_ratelimit_drop.sh
# over IPv6 (net.ipv6.icmp.ratelimit left at the kernel's default): a
# clear path traced 4 times back to back, with -w 1 and with the default
# wait, always reaches; with R2 dropping protocol 255, R2 is named every
# time and the baselines reach.
. "$top_srcdir/tests/trace_lib.sh"
path_up default

all="^all of HDP, UDP, TCP and ICMP reach $D6 \\(hop 3\\)$"
trace_runs "IPv6 clear path, -w 1" 4 0 "$all" "$D6" -6 -w 1
trace_runs "IPv6 clear path, default wait" 4 0 "$all" "$D6" -6

drop_hdp_at "$NS_R2"
named="^HDP vanishes after hop 2 \\($R2A6\\); UDP, TCP and ICMP reach $D6$"
trace_runs "IPv6, R2 drops HDP" 3 1 "$named" "$D6" -6 -w 1
topo_limits_strict "$NS_R2"
trace_runs "IPv6, R2 drops HDP, R2 strict" 3 1 "$named" "$D6" -6 -w 1
finish
