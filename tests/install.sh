#!/bin/sh
# install.sh SRC — `make install DESTDIR=...` then a small program compiled
# and linked against the installed library through pkg-config, shared and
# static, and run. Exits non-zero (with the failing step) otherwise.
set -eu
SRC=$1
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
make -s -C "$SRC" install DESTDIR="$D" PREFIX=/usr/local >"$D/make.log" 2>&1 || {
	cat "$D/make.log" >&2; echo "install.sh: make install failed" >&2; exit 1; }
export PKG_CONFIG_SYSROOT_DIR="$D" PKG_CONFIG_PATH="$D/usr/local/lib/pkgconfig"
cat >"$D/p.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <corridor/corridor.h>
int main(void)
{
	char out[64];
	if (corridor_init() != 0)
		return 2;
	corridor_escape("a\033b", 3, out, sizeof out);
	puts(out);
	return strcmp(out, "a\\x1bb") == 0 && strcmp(corridor_strerror(CORRIDOR_E_NOMEM), "out of memory") == 0 ? 0 : 1;
}
C
# shared: -lcorridor alone, the library names its own dependencies
cc -o "$D/p-shared" "$D/p.c" $(pkg-config --cflags --libs corridor) || {
	echo "install.sh: shared link failed" >&2; exit 1; }
LIB=$(ls "$D"/usr/local/lib/libcorridor.so.*.*.*)
readelf -d "$LIB" | grep -q 'SONAME.*libcorridor.so.0' || {
	echo "install.sh: no soname" >&2; exit 1; }
LD_LIBRARY_PATH="$D/usr/local/lib" "$D/p-shared" >/dev/null || {
	echo "install.sh: the shared program failed" >&2; exit 1; }
# static: the archive, and every dependency `pkg-config --static` lists
STATIC_LIBS=$(pkg-config --static --libs corridor | sed 's/-lcorridor\b/-Wl,-Bstatic -lcorridor -Wl,-Bdynamic/')
cc -o "$D/p-static" "$D/p.c" $(pkg-config --cflags corridor) $STATIC_LIBS || {
	echo "install.sh: static link failed" >&2; exit 1; }
ldd "$D/p-static" | grep -q libcorridor && { echo "install.sh: static link used the .so" >&2; exit 1; }
"$D/p-static" >/dev/null || { echo "install.sh: the static program failed" >&2; exit 1; }
# the man page and the completion, where man and bash look for them
man -l "$D/usr/local/share/man/man1/corridor.1" 2>/dev/null | grep -q 'delivery import' || {
	echo "install.sh: no man page corridor(1) listing the commands" >&2; exit 1; }
grep -q '^complete -F _corridor corridor$' "$D/usr/local/share/bash-completion/completions/corridor" || {
	echo "install.sh: no bash completion" >&2; exit 1; }
echo "install.sh: shared and static programs linked through pkg-config and ran; man page and completion installed"
