#!/bin/sh
# install-deps.sh: install what hdp needs to build, test and benchmark on
# Debian 12, only the packages that are missing.  Run as root.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config libpcap-dev libnet1-dev
 tcpdump tshark python3-scapy tcpreplay hping3 netsniff-ng nftables iproute2
 clang libfuzzer-14-dev libclang-rt-14-dev valgrind gnuplot-nox libcap2-bin
 man-db groff-base procps time iputils-ping
 debhelper dh-python dpkg-dev lintian bash-completion passwd
 openssh-client openssh-server"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: missing packages:$missing; run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
