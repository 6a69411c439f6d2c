#!/usr/bin/env bash
# A Firefox that runs WebGPU on Debian bookworm, beside the system's packages, for the
# cross-implementation test (e2e/cross-implementation.spec.ts; docs/browsers.md says why).
#
# Bookworm's firefox-esr (140) refuses WebGPU whatever the prefs. Trixie's (153 ESR, from
# trixie-security) runs it, but needs trixie's libc and libraries. So this takes firefox-esr's
# dependency closure from trixie through a private apt (its own sources, state, cache and an
# empty dpkg status: the system's apt and dpkg are never touched), unpacks the debs under
# PREFIX, and points Firefox's executables at trixie's dynamic loader with an RPATH to
# trixie's libraries (trixie's patchelf, run on trixie's loader). Firefox starts its content
# processes from the same patched executable, so they run on trixie's libc too. Libraries it
# loads that are not in the closure come from the system, through the loader's default path:
# bookworm's libvulkan and the lavapipe ICD (mesa-vulkan-drivers).
#
# Idempotent: skips when PREFIX holds a Firefox that starts. Fails soft: on any failure it
# says why and exits 0 with nothing at PREFIX, and the test then skips, saying so.
#
# PREFIX: $MKD_FIREFOX_PREFIX, else ${XDG_CACHE_HOME:-~/.cache}/mkd/firefox-esr-trixie
# (scripts/lib/firefox.ts looks in the same place; --print-prefix prints it). The Firefox is
# PREFIX/usr/lib/firefox-esr/firefox-esr. $MKD_DEBIAN_MIRROR replaces http://deb.debian.org.
set -uo pipefail

PREFIX="${MKD_FIREFOX_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/mkd/firefox-esr-trixie}"
FIREFOX="$PREFIX/usr/lib/firefox-esr/firefox-esr"
LIBS="$PREFIX/usr/lib/x86_64-linux-gnu"
LOADER="$LIBS/ld-linux-x86-64.so.2"
MIRROR="${MKD_DEBIAN_MIRROR:-http://deb.debian.org}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

if [[ "${1:-}" == --print-prefix ]]; then
  printf '%s\n' "$PREFIX"
  exit 0
fi

started=$SECONDS
say() { printf "firefox-webgpu [%3d s]: %s\n" "$((SECONDS - started))" "$*"; }
give_up() {
  local why="$*"
  say "no Firefox with WebGPU: ${why//$'\n'/; } (e2e/cross-implementation.spec.ts will skip, saying so)"
  exit 0
}

if [[ -x "$FIREFOX" ]] && version="$("$FIREFOX" --version 2>/dev/null)"; then
  say "already at $PREFIX: $version"
  exit 0
fi

[[ "$(uname -m)" == x86_64 ]] || give_up "only x86_64 is handled, this is $(uname -m)"
for tool in apt-get dpkg-deb xargs; do
  command -v "$tool" >/dev/null 2>&1 || give_up "$tool is missing (this script expects Debian or a derivative)"
done
[[ -r "$KEYRING" ]] || give_up "$KEYRING is missing (apt-get install debian-archive-keyring)"

mkdir -p "$(dirname "$PREFIX")" || give_up "cannot create $(dirname "$PREFIX")"
# Built beside PREFIX and renamed at the end, so a half-made copy is never used. The
# executables name their loader by absolute path, so they are patched for PREFIX itself.
work="$(mktemp -d "$PREFIX.partial.XXXXXX")" || give_up "cannot create a directory beside $PREFIX"
trap 'rm -rf "$work"' EXIT
apt_dir="$work/apt"
root="$work/root"
mkdir -p "$apt_dir"/{lists/partial,archives/partial,parts,log,debs} "$root"
: >"$apt_dir/status"
cat >"$apt_dir/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR/debian trixie main
deb [signed-by=$KEYRING] $MIRROR/debian trixie-updates main
deb [signed-by=$KEYRING] $MIRROR/debian-security trixie-security main
EOF
cat >"$apt_dir/apt.conf" <<EOF
Dir::State "$apt_dir";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir";
Dir::Cache::archives "$apt_dir/archives";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/parts";
Dir::Etc::Parts "$apt_dir/parts";
Dir::Etc::Preferences "$apt_dir/parts/none";
Dir::Etc::PreferencesParts "$apt_dir/parts";
Dir::Log "$apt_dir/log";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Install-Recommends "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Debug::NoLocking "true";
EOF
apt_private() { APT_CONFIG="$apt_dir/apt.conf" apt-get -q "$@"; }

say "reading trixie's package indexes"
# apt-get update exits 0 when a mirror cannot be reached, so look for the indexes themselves.
apt_private update >"$apt_dir/log/update" 2>&1
compgen -G "$apt_dir/lists/*trixie-security*_Packages*" >/dev/null ||
  give_up "no trixie-security index from $MIRROR: $(grep -E '^(E|W):' "$apt_dir/log/update" | head -n 3)"

# With an empty dpkg status, apt resolves the whole closure, libc6 included.
closure="$(apt_private install --simulate firefox-esr patchelf 2>&1)" ||
  give_up "apt cannot resolve firefox-esr in trixie: $(tail -n 3 <<<"$closure")"
# Only shared libraries matter: data files are read from the system's /usr/share, which
# the unpacked copies do not replace. So programs, -data, -common and the PAM and systemd
# helpers the closure drags in through procps and dbus are left out.
mapfile -t packages < <(awk '$1 == "Inst" { print $2 }' <<<"$closure" |
  grep -E '^(lib|firefox-esr$|patchelf$)' |
  grep -vE -- '-(common|data|bin)$|^libpam-|^libsystemd-shared$')
((${#packages[@]} > 0)) || give_up "apt resolved no packages for firefox-esr"

say "downloading ${#packages[@]} packages (firefox-esr and its libraries)"
(cd "$apt_dir/debs" && apt_private download "${packages[@]}") >"$apt_dir/log/download" 2>&1 ||
  give_up "apt-get download failed: $(tail -n 3 "$apt_dir/log/download")"

say "unpacking"
# dpkg-deb -x only unpacks files: no maintainer scripts, no dpkg database.
find "$apt_dir/debs" -name '*.deb' -print0 |
  xargs -0 -n 1 -P "$(nproc 2>/dev/null || echo 2)" sh -c 'dpkg-deb -x "$1" "$0"' "$root" ||
  give_up "dpkg-deb -x failed"

work_libs="$root/usr/lib/x86_64-linux-gnu"
[[ -x "$work_libs/ld-linux-x86-64.so.2" && -x "$root/usr/lib/firefox-esr/firefox-esr" ]] ||
  give_up "the unpacked debs lack trixie's loader or firefox-esr"
patchelf() { "$work_libs/ld-linux-x86-64.so.2" --library-path "$work_libs" "$root/usr/bin/patchelf" "$@"; }
# Every executable Firefox ships (firefox-esr starts its child processes from itself; the
# others are its crash reporter and GPU probes). Its .so files are loaded by the patched
# executables, so the loader's search uses their RPATH.
for file in "$root"/usr/lib/firefox-esr/*; do
  [[ -f "$file" && ! -L "$file" && -x "$file" && "$file" != *.so ]] || continue
  [[ "$(head -c 4 "$file")" == $'\x7fELF' ]] || continue
  patchelf --set-interpreter "$LOADER" --force-rpath --set-rpath "$LIBS" "$file" ||
    give_up "patchelf failed on $file"
done

rm -rf "$apt_dir" "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"
rm -rf "$PREFIX" && mv "$root" "$PREFIX" || give_up "cannot move the unpacked tree to $PREFIX"
if ! version="$("$FIREFOX" --version 2>&1)"; then
  rm -rf "$PREFIX"
  give_up "the unpacked Firefox does not start: $version"
fi
say "$version at $PREFIX"
