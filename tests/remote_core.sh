#!/bin/sh
# remote_core.sh: src/tool_remote.c against real sshd servers (placeholder
# while the full test is written: the info probe on R1)
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/topo.sh"
. "$top_srcdir/tests/ssh_lib.sh"
need_root
topo_up
ssh_setup
T="$top_builddir/tests/test_remote"
P=$(ssh_pathdir with-hdp)
sshd_start "$NS_R1" "$R1A4" "$P"
out=$(ip netns exec "$NS_S" "$T" info "ssh://$R1A4/r1a")
check "info: hdp found" expr "$out" : '.*hdp_ok=1' 
finish
