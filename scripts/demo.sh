#!/bin/sh
# demo.sh: the main job of hdp on an embedded default: send one HDP message
# to loopback and show it captured and decoded.  Until send and sniff are
# built, shows what exists.
set -eu
HDP=${HDP:-./src/hdp}
"$HDP" --version
"$HDP" --help
