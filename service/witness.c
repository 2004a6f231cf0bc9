/*
 * witness.c — `corridor witness serve`: c2sp.org/tlog-witness over HTTP,
 * POST /add-checkpoint only, decided by corridor_witness_add (core). Run by
 * an auditor or a regulator with its own key, for the logs it follows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "corridor/corridor.h"
#include "../cli/cli.h"

#define WITNESS_LOGS_ARG_MAX 64u
#define WITNESS_THREADS 2u
#define WITNESS_CONNECTIONS_MAX 64u
#define WITNESS_REQUEST_SECONDS_MAX 15u
#define WITNESS_ANSWER_BYTES_MAX 4096u

struct witness_req {
	char *body;
	size_t len;
	bool too_large;
};

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
				 const char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	struct corridor_witness *w = cls;
	struct witness_req *rq = *con_cls;
	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof *rq)))
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_len) {
		if (rq->too_large || *upload_len > CORRIDOR_WITNESS_BODY_BYTES_MAX - rq->len) {
			rq->too_large = true;
		} else {
			char *nb = realloc(rq->body, rq->len + *upload_len + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + rq->len, upload, *upload_len);
			rq->body = nb;
			rq->len += *upload_len;
		}
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/add-checkpoint") != 0)
		return send_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
				 "POST /add-checkpoint\n", 21);
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				 "POST /add-checkpoint\n", 21);
	if (rq->too_large)
		return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain; charset=utf-8",
				 "the body is too large\n", 22);
	char out[WITNESS_ANSWER_BYTES_MAX];
	size_t out_len = 0;
	unsigned status = 500;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_witness_add(w, rq->body ? rq->body : "", rq->len, &status, out,
				       sizeof out, &out_len, &d);
	char path[96], why[CORRIDOR_DIAG_BYTES_MAX * 4 + 1];
	corridor_escape(url, strlen(url), path, sizeof path);
	corridor_escape(d.text, strlen(d.text), why, sizeof why);
	fprintf(stderr, "witness: POST %s %u%s%s\n", path, status, status == 200 ? "" : " ",
		status == 200 ? "" : why);
	if (err || status == 500)
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
				 "the witness cannot record checkpoints now\n", 42);
	if (status == 200)
		return send_text(c, MHD_HTTP_OK, "text/plain; charset=utf-8", out, out_len);
	if (status == 409)
		return send_text(c, MHD_HTTP_CONFLICT, "text/x.tlog.size", out, out_len);
	char msg[sizeof why + 2];
	int n = snprintf(msg, sizeof msg, "%s\n", why);
	return send_text(c, status, "text/plain; charset=utf-8", msg, (size_t)n);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct witness_req *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

int cmd_witness(int argc, char **argv)
{
	const char *listen = NULL, *key = NULL, *pass_file = NULL, *state = NULL;
	const char *logs[WITNESS_LOGS_ARG_MAX];
	size_t nlogs = 0;
	bool insecure = false;
	const struct cli_opt opts[] = {
		{ "listen", &listen, NULL, NULL, NULL, 0 },
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "state", &state, NULL, NULL, NULL, 0 },
		{ "log", NULL, NULL, logs, &nlogs, WITNESS_LOGS_ARG_MAX },
		{ "insecure-http", NULL, &insecure, NULL, NULL, 0 },
	};
	size_t np;
	const char *pos[1];
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, 1, &np, "witness"))
		return EXIT_USAGE;
	struct sockaddr_in sa;
	if (strcmp(pos[0], "serve") != 0 || !key || nlogs == 0)
		return cli_usage("usage: %s", cli_usage_line());
	if (!listen || !cli_parse_listen(listen, &sa))
		return cli_usage("--listen ADDR:PORT, an IPv4 address and a port (0: any free one)");
	if (ntohl(sa.sin_addr.s_addr) >> 24 != 127 && !insecure)
		return cli_usage("the witness speaks plain HTTP: on loopback, or behind a TLS proxy "
				 "with --insecure-http");
	struct corridor_vkey vks[WITNESS_LOGS_ARG_MAX];
	for (size_t i = 0; i < nlogs; i++) {
		int rc = cli_vkey(logs[i], &vks[i]);
		if (rc)
			return rc;
	}
	struct corridor_signer *signer;
	int rc = cli_signer(key, pass_file, &signer);
	if (rc)
		return rc;
	struct corridor_witness *w;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_witness_open(state ? state : "witness-state", vks, nlogs, signer, &w, &d);
	if (err) {
		corridor_signer_free(signer);
		return cli_fail(err, &d);
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	struct MHD_Daemon *dmn = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		handle, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)WITNESS_THREADS, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)WITNESS_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)WITNESS_REQUEST_SECONDS_MAX, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_END);
	if (!dmn) {
		fprintf(stderr, "corridor: cannot listen on %s: %s\n", cli_safe(listen),
			strerror(errno));
		corridor_witness_free(w);
		corridor_signer_free(signer);
		return EXIT_STORAGE;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(dmn, MHD_DAEMON_INFO_BIND_PORT);
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
	fprintf(stderr, "listening on http://%s:%u\n", host, di ? (unsigned)di->port : 0u);
	fflush(stderr);
	int sig = 0;
	sigwait(&stop, &sig);
	MHD_stop_daemon(dmn);
	corridor_witness_free(w);
	corridor_signer_free(signer);
	return EXIT_OK;
}
