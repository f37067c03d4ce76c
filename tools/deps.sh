#!/bin/sh
# Installs the Debian packages named as arguments that are missing (as
# root), or names them and fails (as anyone else).
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "keyhole: missing Debian packages; as root run:" >&2
	echo "  apt-get install$missing" >&2
	exit 1
fi
echo "keyhole: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null &&
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "keyhole: apt-get install$missing failed" >&2; exit 1; }
# Debian starts an installed lighttpd or Apache on port 80; keyhole runs
# its own.  Only a server installed just now is stopped.
for s in lighttpd apache2; do
	case " $missing " in *" $s "*) ;; *) continue ;; esac
	if [ -d /run/systemd/system ]; then
		systemctl disable --now "$s" >/dev/null 2>&1
	elif [ -x "/etc/init.d/$s" ]; then
		"/etc/init.d/$s" stop >/dev/null 2>&1
		update-rc.d "$s" disable >/dev/null 2>&1
	fi
done
exit 0
