/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libmicrohttpd servers driven from the control loop: see http.h.
 *
 * The listening socket is ours (so bind errors name their cause, and port 0
 * tells the port it got); MHD takes it over and closes it with the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <rte_cycles.h>

#include "http.h"
#include "ng_log.h"

#define EVENTS_MAX 64
#define LISTEN_BACKLOG 128

struct ng_http_server {
	char name[NG_HTTP_NAME_MAX];
	struct ng_ip addr;
	uint16_t want_port;     /**< as asked (0: any) */
	uint16_t port;          /**< bound */
	ng_http_handler handler;
	void *arg;
	struct MHD_Daemon *d;   /**< NULL while not listening */
	int d_epfd;             /**< the daemon's epoll fd */
	char error[128];
	bool logged;            /**< the current bind failure was logged */
	uint64_t next_try_tsc;
	uint64_t last_run_tsc;
	uint32_t connections;
	uint64_t accepted;
	uint64_t requests[6];
	uint64_t aborted;
};

static struct {
	struct ng_http_server **v;
	unsigned int n, cap;
	int epfd;               /**< the daemons' epoll fds; -1 before the first server */
} hs = {.epfd = -1};

static uint64_t
ms_tsc(uint64_t ms)
{
	return rte_get_tsc_hz() * ms / 1000;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct ng_http_server *s = cls;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	/* Debug only: a client can make MHD say something on every request. */
	NG_LOG(DEBUG, HTTP, "%s: %s", s->name, msg);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
		enum MHD_ConnectionNotificationCode code)
{
	struct ng_http_server *s = cls;

	(void)c;
	(void)socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		s->connections++;
		s->accepted++;
	} else if (s->connections > 0) {
		s->connections--;
	}
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **req_ctx,
		enum MHD_RequestTerminationCode toe)
{
	struct ng_http_server *s = cls;

	(void)c;
	(void)req_ctx;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		s->aborted++;
}

static enum MHD_Result
reply(struct ng_http_server *s, struct MHD_Connection *c, const struct ng_http_reply *rp,
		char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
			MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->content_type);
	for (int i = 0; i < NG_HTTP_EXTRA_HEADERS; i++)
		if (rp->headers[i].name != NULL)
			MHD_add_response_header(r, rp->headers[i].name, rp->headers[i].value);
	ret = MHD_queue_response(c, rp->status, r);
	MHD_destroy_response(r);
	s->requests[rp->status >= 200 && rp->status < 600 ? rp->status / 100 : 0]++;
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
		const char *version, const char *upload, size_t *upload_size, void **req_ctx)
{
	struct ng_http_server *s = cls;
	struct ng_http_reply r = {.status = 200, .content_type = "text/plain; charset=utf-8"};
	char *body = NULL;
	size_t len = 0;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_ctx;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		body = strdup("method not allowed: GET or HEAD\n");
		r.status = MHD_HTTP_METHOD_NOT_ALLOWED;
		r.headers[0].name = MHD_HTTP_HEADER_ALLOW;
		snprintf(r.headers[0].value, sizeof(r.headers[0].value), "GET, HEAD");
		return reply(s, c, &r, body, body != NULL ? strlen(body) : 0);
	}
	r.body = open_memstream(&body, &len);
	if (r.body == NULL)
		return MHD_NO;
	s->handler(s->arg, url, &r);
	if (fclose(r.body) != 0) {
		free(body);
		return MHD_NO;
	}
	return reply(s, c, &r, body, len);
}

/* A listening socket on s->addr:s->want_port, or -errno with s->error set. */
static int
listen_socket(struct ng_http_server *s)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int one = 1, fd, e;

	if (s->addr.family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(s->want_port);
		memcpy(&a->sin6_addr, s->addr.v6, sizeof(s->addr.v6));
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(s->want_port);
		a->sin_addr.s_addr = s->addr.v4;
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(s->error, sizeof(s->error), "socket: %s", strerror(e));
		return -e;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
			getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		e = errno;
		snprintf(s->error, sizeof(s->error), "cannot listen: %s", strerror(e));
		close(fd);
		return -e;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Try to listen; on failure log once and schedule the next try. */
static void
start(struct ng_http_server *s)
{
	const union MHD_DaemonInfo *di;
	struct epoll_event ev = {.events = EPOLLIN};
	char a[NG_IP_STRLEN];
	int fd = listen_socket(s);

	s->next_try_tsc = rte_get_tsc_cycles() + ms_tsc(NG_HTTP_RETRY_S * 1000ull);
	if (fd >= 0) {
		s->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)NG_HTTP_MAX_CONNS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned int)NG_HTTP_MAX_CONNS_PER_IP,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)NG_HTTP_CONN_MEMORY,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NG_HTTP_IDLE_TIMEOUT_S,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_END);
		if (s->d == NULL) {
			/* Whether MHD closed the socket on its way out is not documented. */
			if (fcntl(fd, F_GETFD) != -1)
				close(fd);
			snprintf(s->error, sizeof(s->error), "libmicrohttpd refused to start");
		}
	}
	if (s->d != NULL) {
		di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
		s->d_epfd = di != NULL ? di->epoll_fd : -1;
		ev.data.ptr = s;
		if (s->d_epfd < 0 || epoll_ctl(hs.epfd, EPOLL_CTL_ADD, s->d_epfd, &ev) < 0) {
			snprintf(s->error, sizeof(s->error), "epoll: %s", strerror(errno));
			MHD_stop_daemon(s->d);
			s->d = NULL;
		}
	}
	ng_ip_fmt(&s->addr, a, sizeof(a));
	if (s->d == NULL) {
		if (!s->logged)
			NG_LOG(ERR, HTTP, "%s on %s port %u: %s; retrying every %d s", s->name, a,
				s->want_port, s->error, NG_HTTP_RETRY_S);
		s->logged = true;
		return;
	}
	s->error[0] = '\0';
	s->last_run_tsc = rte_get_tsc_cycles();
	if (s->logged)
		NG_LOG(NOTICE, HTTP, "%s listening on %s port %u at last", s->name, a, s->port);
	else
		NG_LOG(INFO, HTTP, "%s listening on %s port %u", s->name, a, s->port);
	s->logged = false;
}

struct ng_http_server *
ng_http_listen(const char *name, const struct ng_ip *addr, uint16_t port, ng_http_handler h,
		void *arg, char *err, size_t errlen)
{
	struct ng_http_server *s;

	if (name == NULL || addr == NULL || h == NULL ||
			(addr->family != AF_INET && addr->family != AF_INET6)) {
		snprintf(err, errlen, "http: bad arguments");
		return NULL;
	}
	if (hs.epfd < 0 && (hs.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "http: epoll: %s", strerror(errno));
		return NULL;
	}
	if (hs.n == hs.cap) {
		unsigned int cap = hs.cap ? hs.cap * 2 : 8;
		struct ng_http_server **v = realloc(hs.v, cap * sizeof(*v));

		if (v == NULL) {
			snprintf(err, errlen, "http: out of memory");
			return NULL;
		}
		hs.v = v;
		hs.cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "http: out of memory");
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->addr = *addr;
	s->want_port = port;
	s->port = port;
	s->handler = h;
	s->arg = arg;
	s->d_epfd = -1;
	hs.v[hs.n++] = s;
	start(s);
	return s;
}

static void
stop(struct ng_http_server *s)
{
	if (s->d == NULL)
		return;
	epoll_ctl(hs.epfd, EPOLL_CTL_DEL, s->d_epfd, NULL);
	MHD_stop_daemon(s->d);
	s->d = NULL;
	s->connections = 0;
}

void
ng_http_close(struct ng_http_server *s)
{
	if (s == NULL)
		return;
	for (unsigned int i = 0; i < hs.n; i++)
		if (hs.v[i] == s) {
			memmove(&hs.v[i], &hs.v[i + 1], (hs.n - i - 1) * sizeof(hs.v[0]));
			hs.n--;
			break;
		}
	stop(s);
	free(s);
}

static void
run(struct ng_http_server *s, uint64_t now)
{
	MHD_run(s->d);
	s->last_run_tsc = now;
}

void
ng_http_poll(void)
{
	struct epoll_event ev[EVENTS_MAX];
	uint64_t now;
	int n;

	if (hs.n == 0)
		return;
	now = rte_get_tsc_cycles();
	n = epoll_wait(hs.epfd, ev, EVENTS_MAX, 0);
	for (int i = 0; i < n; i++)
		run(ev[i].data.ptr, now);
	for (unsigned int i = 0; i < hs.n; i++) {
		struct ng_http_server *s = hs.v[i];
		MHD_UNSIGNED_LONG_LONG tmo;

		if (s->d == NULL) {
			if (now >= s->next_try_tsc)
				start(s);
			continue;
		}
		/* Work MHD holds without a socket event: data already read, timeouts. */
		if (MHD_get_timeout(s->d, &tmo) == MHD_YES && s->last_run_tsc != now &&
				(tmo == 0 || now - s->last_run_tsc >= ms_tsc(tmo)))
			run(s, now);
	}
}

void
ng_http_fini(void)
{
	while (hs.n > 0)
		ng_http_close(hs.v[hs.n - 1]);
	free(hs.v);
	hs.v = NULL;
	hs.cap = 0;
	if (hs.epfd >= 0)
		close(hs.epfd);
	hs.epfd = -1;
}

void
ng_http_info(const struct ng_http_server *s, struct ng_http_info *info)
{
	memset(info, 0, sizeof(*info));
	info->name = s->name;
	info->addr = s->addr;
	info->port = s->port;
	info->listening = s->d != NULL;
	info->error = s->d != NULL ? "" : s->error;
	info->connections = s->connections;
	info->accepted = s->accepted;
	memcpy(info->requests, s->requests, sizeof(info->requests));
	info->aborted = s->aborted;
}

void
ng_http_walk(int (*cb)(const struct ng_http_info *info, void *arg), void *arg)
{
	for (unsigned int i = 0; i < hs.n; i++) {
		struct ng_http_info info;

		ng_http_info(hs.v[i], &info);
		if (cb(&info, arg) != 0)
			return;
	}
}
