/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_HTTP_H
#define NG_HTTP_H

/**
 * @file
 * Small HTTP servers on the control core (probes, metrics,
 * healthCheckNodePort): libmicrohttpd without a thread of its own, driven by
 * ng_http_poll() from the control loop, which never blocks.
 *
 * Every server's daemon runs in epoll mode; this module puts their epoll fds
 * in one epoll set of its own, so a poll costs one epoll_wait() with a zero
 * timeout however many servers there are, plus MHD_run() for the servers
 * that have something to do (ready sockets, or a connection timeout due).
 *
 * Handlers answer GET and HEAD at once (others get 405); they must not block.
 * Limits against abuse (per server): NG_HTTP_MAX_CONNS connections,
 * NG_HTTP_MAX_CONNS_PER_IP from one address, NG_HTTP_CONN_MEMORY bytes per
 * connection (a bigger request head gets 431 and the connection closes) and
 * NG_HTTP_IDLE_TIMEOUT_S without progress.
 *
 * A server whose address cannot be bound (in use, not local) is kept and
 * tried again every NG_HTTP_RETRY_S seconds, as kube-proxy retries its
 * healthz server; ng_http_info() and `show http` say why it is not up.
 *
 * Control core only; not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ng_addr.h"

#define NG_HTTP_MAX_CONNS 512
#define NG_HTTP_MAX_CONNS_PER_IP 256
#define NG_HTTP_CONN_MEMORY (32 * 1024)
#define NG_HTTP_IDLE_TIMEOUT_S 10
#define NG_HTTP_RETRY_S 5
#define NG_HTTP_NAME_MAX 96
#define NG_HTTP_EXTRA_HEADERS 2

/** What a handler fills in. */
struct ng_http_reply {
	unsigned int status;      /**< default 200 */
	const char *content_type; /**< static string; default "text/plain; charset=utf-8" */
	FILE *body;               /**< write the body here (a memory stream) */
	/** Extra headers: name (static; NULL: unused) and value. */
	struct {
		const char *name;
		char value[64];
	} headers[NG_HTTP_EXTRA_HEADERS];
};

/**
 * Answers one GET or HEAD request (for HEAD the body is not sent).
 * @param arg  as given to ng_http_listen()
 * @param path the request path, without the query string
 */
typedef void (*ng_http_handler)(void *arg, const char *path, struct ng_http_reply *r);

struct ng_http_server;

/**
 * Start a server on addr:port (port 0: a free port). When the address cannot
 * be bound now, the server is still returned, logs why, and retries.
 * @param name for logs and `show http` ("healthz", "hc default/web")
 * @return the server, or NULL with err filled (-EINVAL arguments, -ENOMEM).
 */
struct ng_http_server *ng_http_listen(const char *name, const struct ng_ip *addr,
		uint16_t port, ng_http_handler h, void *arg, char *err, size_t errlen);

/** Stop a server and close its connections. NULL is fine. */
void ng_http_close(struct ng_http_server *s);

/** Control loop hook: accept, read, answer, time out; never blocks. */
void ng_http_poll(void);

/** Close every server (shutdown). */
void ng_http_fini(void);

/** A server as `show http` and /metrics see it. */
struct ng_http_info {
	const char *name;
	struct ng_ip addr;
	uint16_t port;            /**< the bound port (the asked one while not listening) */
	bool listening;
	const char *error;        /**< why it is not listening ("" when it is) */
	uint32_t connections;     /**< open now */
	uint64_t accepted;        /**< connections accepted */
	uint64_t requests[6];     /**< answered by class: [2] 2xx ... [5] 5xx; [0] other */
	uint64_t aborted;         /**< requests ended by a timeout, an error or the client */
};

/** Fill info for s. */
void ng_http_info(const struct ng_http_server *s, struct ng_http_info *info);

/** Call cb for every server in creation order; stops when cb returns non-zero. */
void ng_http_walk(int (*cb)(const struct ng_http_info *info, void *arg), void *arg);

/** Register `show http`. */
int ng_http_cli_register(void);

#endif
