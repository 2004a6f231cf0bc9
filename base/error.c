/* error.c — error strings, diagnostics, invariant failures, small utilities. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *corridor_version(void)
{
	return STR(CORRIDOR_VERSION_MAJOR) "." STR(CORRIDOR_VERSION_MINOR) "." STR(CORRIDOR_VERSION_PATCH);
}

const char *corridor_strerror(int err)
{
	switch (err) {
	case CORRIDOR_OK: return "success";
	case CORRIDOR_E_NOMEM: return "out of memory";
	case CORRIDOR_E_INVALID: return "invalid argument or input";
	case CORRIDOR_E_MALFORMED: return "malformed input";
	case CORRIDOR_E_NONCANONICAL: return "non-canonical encoding";
	case CORRIDOR_E_LIMIT: return "input exceeds a limit";
	case CORRIDOR_E_IO: return "I/O error";
	case CORRIDOR_E_EXISTS: return "already exists";
	case CORRIDOR_E_NOTFOUND: return "not found";
	case CORRIDOR_E_STORAGE: return "storage error";
	case CORRIDOR_E_FULL: return "disk or map full";
	case CORRIDOR_E_UNSEAL: return "wrong passphrase or tampered key file";
	case CORRIDOR_E_KEY: return "key not valid here";
	case CORRIDOR_E_SIGNATURE: return "signature does not verify";
	case CORRIDOR_E_VERIFY: return "verification failed";
	case CORRIDOR_E_REFUSED: return "refused";
	case CORRIDOR_E_REPLICA: return "a replica refuses local writes";
	case CORRIDOR_E_CRYPTO: return "crypto library failed to initialise";
	case CORRIDOR_E_OVERFLOW: return "integer overflow";
	default: return "unknown error";
	}
}

void corridor_diag_init(struct corridor_diag *diag)
{
	if (!diag)
		return;
	diag->has_seq = false;
	diag->seq = 0;
	diag->text[0] = '\0';
}

/* Every error text goes through corridor_escape: whatever untrusted bytes a
 * message quotes (a CSV field, an archive's string, libxml2's own text), it
 * reaches a terminal as one line with no control characters. */
static void diag_vset(struct corridor_diag *diag, const char *fmt, va_list ap)
{
	char raw[CORRIDOR_DIAG_BYTES_MAX];
	int n = vsnprintf(raw, sizeof raw, fmt, ap);
	if (n < 0)
		raw[0] = '\0';
	size_t len = strlen(raw);
	/* libxml2 and strerror-style texts end in a newline: not part of the line */
	while (len && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	corridor_escape(raw, len, diag->text, sizeof diag->text);
}

int corridor_diag_set(struct corridor_diag *diag, int err, const char *fmt, ...)
{
	if (!diag)
		return err;
	va_list ap;
	va_start(ap, fmt);
	diag_vset(diag, fmt, ap);
	va_end(ap);
	diag->has_seq = false;
	return err;
}

int corridor_diag_seq(struct corridor_diag *diag, int err, uint64_t seq, const char *fmt, ...)
{
	if (!diag)
		return err;
	va_list ap;
	va_start(ap, fmt);
	diag_vset(diag, fmt, ap);
	va_end(ap);
	diag->has_seq = true;
	diag->seq = seq;
	return err;
}

_Noreturn void corridor_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "corridor: BUG at %s:%d: invariant failed: %s\n", file, line, what);
	abort();
}

int corridor_init(void)
{
	return sodium_init() < 0 ? CORRIDOR_E_CRYPTO : CORRIDOR_OK;
}

int corridor_parse_u64(const char *s, size_t len, uint64_t *out)
{
	if (len == 0 || len > 20)
		return CORRIDOR_E_MALFORMED;
	if (len > 1 && s[0] == '0')
		return CORRIDOR_E_MALFORMED;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CORRIDOR_E_MALFORMED;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10u)
			return CORRIDOR_E_OVERFLOW;
		v = v * 10u + d;
	}
	*out = v;
	return CORRIDOR_OK;
}

int corridor_read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *out_len,
		       struct corridor_diag *diag)
{
	int err;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return corridor_diag_set(diag, CORRIDOR_E_IO,
					 "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot stat %s: %s", path,
					strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "%s is not a regular file", path);
		goto out_close;
	}
	if ((uint64_t)st.st_size > max_bytes) {
		err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "%s is larger than %zu bytes", path,
					max_bytes);
		goto out_close;
	}
	size_t cap = (size_t)st.st_size;
	uint8_t *buf = malloc(cap + 1);
	if (!buf) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory reading %s", path);
		goto out_close;
	}
	size_t got = 0;
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot read %s: %s", path,
						strerror(errno));
			free(buf);
			goto out_close;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	err = CORRIDOR_OK;
out_close:
	close(fd);
	return err;
}

int corridor_replace_file(const char *path, const void *data, size_t len, unsigned mode,
			  struct corridor_diag *diag)
{
	char tmp[4096 + 16], dir[4096];
	size_t plen = strlen(path);
	if (plen >= sizeof dir)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the path %.64s... is too long",
					 path);
	snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return corridor_diag_set(diag, errno == ENOSPC ? CORRIDOR_E_FULL : CORRIDOR_E_IO,
					 "cannot create %s: %s", tmp, strerror(errno));
	bool ok = true;
	const uint8_t *p = data;
	for (size_t at = 0; ok && at < len;) {
		ssize_t w = write(fd, p + at, len - at);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		at += ok ? (size_t)w : 0;
	}
	int e = errno;
	if (ok && (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0)) {
		ok = false;
		e = errno;
	}
	if (close(fd) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		return corridor_diag_set(diag, e == ENOSPC ? CORRIDOR_E_FULL : CORRIDOR_E_IO,
					 "cannot write %s: %s", path, strerror(e));
	}
	memcpy(dir, path, plen + 1);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	int dfd = open(dir, O_RDONLY | O_CLOEXEC);
	if (dfd >= 0) { /* the rename itself durable */
		(void)fsync(dfd);
		close(dfd);
	}
	return CORRIDOR_OK;
}
