#!/usr/bin/env bash
# The Debian package, end to end (packaging/; docs/operations.md, "Install the package
# and run under systemd"):
#   1. the .deb: $SHOAL_DEB when given (scripts/test.sh's package phase builds it once),
#      otherwise scripts/package.sh builds it;
#   2. lintian: no error tag;
#   3. promtool check rules on the shipped alert rules, and promtool test rules on their
#      unit tests (packaging/shoald-alerts.test.yml);
#   4. a fresh Debian 12 root (debootstrap minbase) in which apt-get installs the .deb,
#      resolving its Depends from the archive; shoald --check-config
#      /etc/shoal/shoald.toml passes there, the conffile and man pages are in place;
#   5. systemd-analyze verify on the unit as installed in that root (systemd installed
#      there after the package, so it checks the real ExecStart and ExecReload binaries;
#      the root's man pages on MANPATH for Documentation=man:...), and a broken copy
#      of the unit must fail the same check;
#   6. apt-get purge removes it cleanly.
# Needs root (debootstrap, chroot): exits 77 (skipped) otherwise. Everything it makes
# lives in WORK (the build tree) and is removed at the end.
# Usage: package_test.sh SOURCE_DIR WORK
set -euo pipefail
src=$1 work=$2
mirror=${SHOAL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root for debootstrap and chroot (running as uid $(id -u))"
  exit 77
fi
t0=$SECONDS
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
step() { echo "== $* ($((SECONDS - t0)) s)"; }

root="$work/root"
cleanup() { rm -rf "$root"; }
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"

step "the package"
if [ -n "${SHOAL_DEB:-}" ]; then
  deb=$SHOAL_DEB
else
  deb=$("$src/scripts/package.sh" 2>"$work/package.log" | tail -n 1) || { cat "$work/package.log"; exit 1; }
fi
[ -f "$deb" ] || { echo "FAIL no package at '$deb'"; exit 1; }
echo "$deb"

step "lintian"
lintian --display-info "$deb" >"$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
if grep -q '^E: ' "$work/lintian.txt"; then fail "lintian reports errors"; else ok "lintian: no errors"; fi

step "promtool check rules"
if promtool check rules "$src/packaging/shoald-alerts.yml"; then ok "alert rules"; else fail "promtool check rules"; fi
if (cd "$src/packaging" && promtool test rules shoald-alerts.test.yml); then ok "alert rule tests"; else
  fail "promtool test rules"
fi

step "debootstrap a fresh Debian 12 root"
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log"
  echo "FAIL debootstrap from $mirror"
  exit 1
fi
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
apt_in_root() {
  in_root apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends "$@" >>"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; return 1; }
}

step "apt-get install the package in it"
cp "$deb" "$root/tmp/"
name=$(basename "$deb")
apt_in_root update || { echo "FAIL apt-get update in the root"; exit 1; }
if apt_in_root install "/tmp/$name"; then ok "apt-get install $name (Depends resolved)"; else echo "FAIL apt-get install"; exit 1; fi
out=$(in_root shoald --check-config /etc/shoal/shoald.toml 2>&1) && rc=0 || rc=$?
[ "$rc" = 0 ] && [[ "$out" == *": ok"* ]] && ok "shoald --check-config /etc/shoal/shoald.toml: $out" ||
  fail "shoald --check-config /etc/shoal/shoald.toml: exit $rc: $out"
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' shoal)
[[ "$conffiles" == *"/etc/shoal/shoald.toml "* ]] && ok "shoald.toml is a conffile" || fail "conffiles: '$conffiles'"
for f in /usr/bin/shoal /usr/bin/shoal-load /usr/bin/shoal-net /usr/share/man/man8/shoald.8.gz \
         /usr/share/man/man1/shoal.1.gz /usr/share/man/man1/shoal-load.1.gz /usr/share/man/man1/shoal-net.1.gz \
         /usr/share/doc/shoal/copyright /usr/share/doc/shoal/shoald-alerts.yml /lib/systemd/system/shoald.service; do
  [ -f "$root$f" ] && ok "installed $f" || fail "missing $f"
done
for b in shoal shoal-load shoal-net; do
  in_root "$b" --version >/dev/null 2>&1 && ok "$b --version runs in the root" || fail "$b --version in the root"
done

step "systemd-analyze verify"
apt_in_root install systemd || { echo "FAIL installing systemd in the root"; exit 1; }
verify() { MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" "$1" 2>&1; }
out=$(verify shoald.service) && rc=0 || rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] && ok "systemd-analyze verify shoald.service: clean" ||
  fail "systemd-analyze verify shoald.service: exit $rc: $out"
# The same check must catch a unit whose binary is missing.
sed 's|^ExecStart=/usr/bin/shoald |ExecStart=/usr/bin/shoald-missing |' "$root/lib/systemd/system/shoald.service" \
  >"$root/lib/systemd/system/shoald-broken.service"
out=$(verify shoald-broken.service) && rc=0 || rc=$?
[ "$rc" != 0 ] && [[ "$out" == *shoald-missing* ]] && ok "verify catches a missing ExecStart binary" ||
  fail "verify passed a broken unit: exit $rc: $out"
rm -f "$root/lib/systemd/system/shoald-broken.service"

step "apt-get purge"
if apt_in_root purge shoal && [ ! -e "$root/etc/shoal/shoald.toml" ] && [ ! -e "$root/usr/bin/shoald" ]; then
  ok "purge removes the package and its conffile"
else
  fail "apt-get purge shoal"
fi

step "done"
echo "package test: $failures failure(s) in $((SECONDS - t0)) s"
[ "$failures" = 0 ]
