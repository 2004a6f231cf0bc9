#!/bin/sh
# layering.sh BUILD — the architecture's rules, checked on the real #include
# lines and on the symbols the built objects define and use (nm). See
# docs/ARCHITECTURE.md. Exits 1 and names every violation.
#   1. formats/ includes nothing from core/ (it may include base/).
#   2. base/ includes nothing from core/ or formats/.
#   3. core/kinds/ calls no LMDB, no append and nothing of core/ outside
#      core/kinds/ (only base/, formats/ and system libraries).
#   4. cli/ and tools/ include only the public headers (and their own);
#      service/ only those and cli/cli.h.
#   6. Every public header compiles on its own (it includes what it needs).
#   5. No two files of base/, core/ and formats/ depend on each other in a
#      circle, by #include or by calls (a module is a .c with its .h).
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/.."
fail=0
bad() { echo "layering: $*" >&2; fail=1; }

# the quoted includes of a file, resolved relative to it, as module paths
includes() {
	dir=$(dirname "$1")
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1" |
	while read -r inc; do
		case $inc in
		corridor/*) echo "include/$inc" ;;
		*) p="$dir/$inc"
		   # normalise a/b/../c
		   while :; do q=$(echo "$p" | sed 's#[^/]*/\.\./##'); [ "$q" = "$p" ] && break; p=$q; done
		   echo "$p" ;;
		esac
	done
}

for f in $(find formats base -name '*.[ch]' 2>/dev/null); do
	for inc in $(includes "$f"); do
		case $inc in core/*) bad "$f includes $inc (formats/ and base/ include nothing from core/)" ;; esac
		case $f:$inc in base/*:formats/*) bad "$f includes $inc (base/ is below formats/)" ;; esac
	done
done
for f in $(find core/kinds -name '*.[ch]' 2>/dev/null); do
	grep -n '<lmdb.h>' "$f" >/dev/null && bad "$f includes <lmdb.h> (core/kinds/ sees only the kv interface)"
	for inc in $(includes "$f"); do
		case $inc in core/kinds/*|base/*|formats/*|include/corridor/*) ;;
		*) bad "$f includes $inc (core/kinds/ includes only core/kinds/, formats/, base/ and public headers)" ;;
		esac
	done
done
for f in $(find service -name '*.[ch]' 2>/dev/null); do
	for inc in $(includes "$f"); do
		case $inc in include/corridor/*|cli/cli.h|service/*) ;;
		*) bad "$f includes $inc (the service uses only the public API and the CLI's helpers)" ;;
		esac
	done
done
for f in $(find client -name '*.[ch]' 2>/dev/null); do
	for inc in $(includes "$f"); do
		case $inc in include/corridor/*|client/*) ;;
		*) bad "$f includes $inc (the client uses only the public API)" ;;
		esac
	done
done
for f in $(find cli tools -name '*.[ch]'); do
	for inc in $(includes "$f"); do
		case $inc in include/corridor/*|"$(dirname "$f")"/*|client/client.h) ;;
		*) bad "$f includes $inc (only the public headers)" ;;
		esac
	done
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*<lmdb.h>' "$f" >/dev/null &&
		bad "$f includes <lmdb.h> (only the public API)"
done

for h in include/corridor/*.h; do
	printf '#include "corridor/%s"\nint corridor_header_alone;\n' "${h##*/}" |
		${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -Iinclude -x c - \
		2>/dev/null || bad "$h does not compile on its own"
done

# ---- the module graph: by include, then by symbols ----
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/inc"
for f in $(find base core formats -name '*.[ch]' 2>/dev/null); do
	a=${f%.*}
	for inc in $(includes "$f"); do
		b=${inc%.*}
		case $b in include/*) continue ;; esac
		[ "$a" = "$b" ] || echo "$a $b" >> "$tmp/inc"
	done
done
: > "$tmp/def"; : > "$tmp/use"
for src in $(find base core formats -name '*.c'); do
	m=${src%.c}; o="$BUILD/obj/$m.o"
	[ -f "$o" ] || { echo "layering: $o is missing (build first)" >&2; exit 2; }
	nm -P --defined-only -g "$o" | awk -v m="$m" '{print $1, m}' >> "$tmp/def"
	nm -P -u "$o" | awk -v m="$m" '{print $1, m}' >> "$tmp/use"
done
[ -s "$tmp/def" ] || { echo "layering: no objects under $BUILD/obj (build first)" >&2; exit 2; }
# edges user -> definer
awk 'NR == FNR { def[$1] = $2; next } ($1 in def) && def[$1] != $2 { print $2, def[$1], $1 }' \
	"$tmp/def" "$tmp/use" | sort -u > "$tmp/sym"

# rule 3 on symbols
awk '$1 ~ /^core\/kinds\// && $2 !~ /^(core\/kinds|formats|base)\// { print $1 " calls " $3 " of " $2 }' \
	"$tmp/sym" | while read -r line; do echo "layering: $line (core/kinds/ calls only kinds, formats and base)" >&2; done
awk '$1 ~ /^core\/kinds\// && $2 !~ /^(core\/kinds|formats|base)\// { n++ } END { exit n > 0 }' "$tmp/sym" || fail=1
for src in $(find core/kinds -name '*.c' 2>/dev/null); do
	o="$BUILD/obj/${src%.c}.o"
	nm -P -u "$o" | awk '$1 ~ /^mdb_/ { print $1 }' | while read -r s; do
		echo "layering: ${o#"$BUILD/obj/"} calls $s (core/kinds/ touches no LMDB)" >&2; done
	nm -P -u "$o" | awk '$1 ~ /^mdb_/ { n++ } END { exit n > 0 }' || fail=1
done

# cycles: the transitive closure over at most a few hundred modules
cycles() { # $1 = edge file (a b [why]), $2 = what
	awk -v what="$2" '
	{ if (!($1 in id)) { id[$1] = n; name[n++] = $1 }
	  if (!($2 in id)) { id[$2] = n; name[n++] = $2 }
	  e[id[$1], id[$2]] = 1; why[id[$1], id[$2]] = $3 }
	END {
		for (i = 0; i < n; i++) for (j = 0; j < n; j++) r[i, j] = e[i, j]
		for (k = 0; k < n; k++) for (i = 0; i < n; i++) if (r[i, k])
			for (j = 0; j < n; j++) if (r[k, j]) r[i, j] = 1
		bad = 0
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (r[i, j] && r[j, i]) {
			printf "layering: %s and %s depend on each other %s", name[i], name[j], what > "/dev/stderr"
			if (e[i, j]) printf " (%s uses %s)", name[i], why[i, j] > "/dev/stderr"
			if (e[j, i]) printf " (%s uses %s)", name[j], why[j, i] > "/dev/stderr"
			printf "\n" > "/dev/stderr"
			bad++
		}
		exit bad > 0
	}' "$1"
}
cycles "$tmp/inc" "by #include" || fail=1
cycles "$tmp/sym" "by calls" || fail=1
[ $fail -eq 0 ] && echo "layering: ok ($(awk '{print $1}' "$tmp/sym" | sort -u | wc -l) modules, $(wc -l < "$tmp/sym") call edges)"
exit $fail
