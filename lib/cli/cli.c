/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI server: the listening socket, sessions, output buffers and the poll loop.
 *
 * Everything is non-blocking and driven by ng_cli_poll(). Per session and poll
 * round at most NG_CLI_READ_CHUNK bytes are read and NG_CLI_LINES_PER_ROUND
 * lines run, so a client that floods cannot starve the others. Output is
 * queued per session and written when the socket accepts it; more than
 * NG_CLI_OUT_PAUSE unsent bytes pause reading from that client
 * (back-pressure), more than NG_CLI_OUT_MAX close it.
 * Closing after quit: flush, shut down the write side, discard input until
 * EOF or NG_CLI_LINGER_MS, then close (so pending output is not lost to a RST).
 *
 * Nobody can hold the operator out: a session that sends nothing for the idle
 * timeout is told so and closed, and a client that finds the table full takes
 * the place of the session idle longest that has not typed anything (else of
 * one that typed but has been idle NG_CLI_EVICT_TYPED_MS), which is told why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "ng_err.h"
#include "ng_cli_util.h"
#include "ng_log.h"

#include "cli_priv.h"

#define ACCEPT_PER_ROUND 16
#define ACCEPT_BACKOFF_MS 100

static struct {
	int lfd;
	uint16_t port;
	uint64_t accept_after; /**< out of file descriptors: do not accept before (ms) */
	uint64_t idle_ms;      /**< idle timeout, 0: none */
	unsigned int next_id;  /**< id of the next session */
	uint64_t evicted;      /**< sessions closed to make room */
	uint64_t refused;      /**< clients refused, table full */
	uint64_t timed_out;    /**< sessions closed for the idle timeout */
	unsigned int nsess;
	struct ng_cli_sess *sess[NG_CLI_MAX_SESS];
	struct pollfd pfd[NG_CLI_MAX_SESS + 1 + NG_CLI_WAKE_FDS];
} srv = {.lfd = -1, .idle_ms = NG_CLI_IDLE_TIMEOUT_DEF * 1000ull};

uint64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- output ---- */

size_t
cli_out_pending(const struct ng_cli_sess *s)
{
	return s->out_len - s->out_off;
}

/* Make room for add more bytes (+1 for a NUL). false: the session is dead. */
static bool
out_reserve(struct ng_cli_sess *s, size_t add)
{
	size_t pending = cli_out_pending(s);

	if (s->dead)
		return false;
	if (pending + add > NG_CLI_OUT_MAX) {
		NG_LOG(NOTICE, CLI, "session fd %d: more than %u bytes unsent, closing it", s->fd,
			NG_CLI_OUT_MAX);
		s->dead = true;
		free(s->out);
		s->out = NULL;
		s->out_off = s->out_len = s->out_cap = 0;
		return false;
	}
	if (s->out_off > 0 && s->out_len + add + 1 > s->out_cap) {
		memmove(s->out, s->out + s->out_off, pending);
		s->out_off = 0;
		s->out_len = pending;
	}
	if (s->out_len + add + 1 > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : 4096;
		uint8_t *p;

		while (cap < s->out_len + add + 1)
			cap *= 2;
		p = realloc(s->out, cap);
		if (p == NULL) {
			NG_LOG(ERR, CLI, "session fd %d: out of memory, closing it", s->fd);
			s->dead = true;
			return false;
		}
		s->out = p;
		s->out_cap = cap;
	}
	return true;
}

void
cli_out_raw(struct ng_cli_sess *s, const void *p, size_t n)
{
	if (s == NULL || n == 0 || !out_reserve(s, n))
		return;
	memcpy(s->out + s->out_len, p, n);
	s->out_len += n;
	s->out_total += n;
	s->out_cr = ((const uint8_t *)p)[n - 1] == '\r';
	s->out_nl = ((const uint8_t *)p)[n - 1] == '\n';
}

void
cli_out_text(struct ng_cli_sess *s, const char *p, size_t n)
{
	const uint8_t *u = (const uint8_t *)p;
	bool telnet, batch;

	if (s == NULL) {
		fwrite(p, 1, n, stdout);
		return;
	}
	telnet = s->mode == CLI_MODE_TELNET;
	batch = s->mode == CLI_MODE_BATCH;
	while (n > 0) {
		size_t run = 0;
		uint8_t c;

		/* a run of bytes that need no translation, copied at once */
		while (run < n && u[run] != '\n' && u[run] != TN_IAC && u[run] != '\0')
			run++;
		if (run > 0) {
			if (!out_reserve(s, run))
				return;
			memcpy(s->out + s->out_len, u, run);
			s->out_len += run;
			s->out_total += run;
			s->out_cr = u[run - 1] == '\r';
			s->out_nl = false;
			u += run;
			n -= run;
			continue;
		}
		if (!out_reserve(s, 2))
			return;
		c = *u++;
		n--;
		if (c == '\0' && batch)
			continue; /* NG_CLI_BATCH_END only ends a reply */
		if (c == '\n' && !s->out_cr && !batch)
			s->out[s->out_len++] = '\r';
		s->out[s->out_len++] = c;
		if (c == TN_IAC && telnet)
			s->out[s->out_len++] = TN_IAC;
		s->out_total++;
		s->out_cr = false;
		s->out_nl = c == '\n';
	}
}

void
cli_out_str(struct ng_cli_sess *s, const char *str)
{
	cli_out_text(s, str, strlen(str));
}

const char *
cli_sess_output(struct ng_cli_sess *s, size_t *len)
{
	if (s->out == NULL && !out_reserve(s, 0)) {
		*len = 0;
		return "";
	}
	s->out[s->out_len] = '\0';
	*len = cli_out_pending(s);
	return (const char *)s->out + s->out_off;
}

void
cli_sess_output_clear(struct ng_cli_sess *s)
{
	s->out_off = s->out_len = 0;
}

static void
vprint(struct ng_cli_sess *s, const char *pre, const char *fmt, va_list ap)
{
	char small[1024];
	char *buf = small;
	va_list ap2;
	int n;

	if (s != NULL && s->dead)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (buf == NULL) {
			va_end(ap2);
			return;
		}
		vsnprintf(buf, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	if (pre != NULL) {
		cli_out_str(s, pre);
		cli_out_text(s, buf, (size_t)n);
		if (n == 0 || buf[n - 1] != '\n')
			cli_out_text(s, "\n", 1);
	} else {
		cli_out_text(s, buf, (size_t)n);
	}
	if (buf != small)
		free(buf);
}

void
ng_cli_printf(struct ng_cli_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(s, NULL, fmt, ap);
	va_end(ap);
}

void
ng_cli_error(struct ng_cli_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(s, "% ", fmt, ap);
	va_end(ap);
}

/* ---- sessions ---- */

void
cli_sess_greet(struct ng_cli_sess *s, bool nego)
{
	static const uint8_t bytes[] = {
		TN_IAC, TN_WILL, TN_OPT_ECHO,
		TN_IAC, TN_WILL, TN_OPT_SGA,
		TN_IAC, TN_DO, TN_OPT_SGA,
	};

	if (s->greeted)
		return;
	s->greeted = true;
	if (nego) {
		s->will_echo.pending = true;
		s->will_sga.pending = true;
		s->do_sga.pending = true;
		cli_out_raw(s, bytes, sizeof(bytes));
	}
	cli_out_str(s, NG_CLI_BANNER "\n");
	cli_prompt(s);
}

struct ng_cli_sess *
cli_sess_new(int fd)
{
	struct ng_cli_sess *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	cli_cmds_init();
	s->fd = fd;
	s->mode = CLI_MODE_NEW;
	s->opened_ms = s->active_ms = cli_now_ms();
	/* Sessions without a socket (tests) are greeted at once, with negotiation. */
	if (fd < 0)
		cli_sess_greet(s, true);
	else
		s->greet_at = s->opened_ms + NG_CLI_GREET_MS;
	return s;
}

void
cli_sess_free(struct ng_cli_sess *s)
{
	if (s == NULL)
		return;
	cli_edit_free(s);
	free(s->out);
	free(s);
}

void
cli_sess_quit(struct ng_cli_sess *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = true;
	s->deadline = cli_now_ms() + NG_CLI_LINGER_MS;
}

/* Write what the socket takes. */
static void
sess_flush(struct ng_cli_sess *s)
{
	while (!s->dead && s->out_off < s->out_len) {
		ssize_t r = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
			MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r > 0) {
			s->out_off += (size_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			s->dead = true;
		}
	}
	if (s->out_off == s->out_len) {
		s->out_off = s->out_len = 0;
		if (s->out_cap > 65536) { /* give back what a big command took */
			free(s->out);
			s->out = NULL;
			s->out_cap = 0;
		}
	}
}

static bool
sess_paused(const struct ng_cli_sess *s)
{
	return cli_out_pending(s) > NG_CLI_OUT_PAUSE;
}

/* Feed input read earlier and not consumed yet. */
static void
sess_feed_staged(struct ng_cli_sess *s)
{
	if (s->in_off < s->in_len && !s->closing && !s->dead)
		s->in_off += cli_feed(s, s->in + s->in_off, s->in_len - s->in_off);
	if (s->in_off >= s->in_len || s->closing || s->dead)
		s->in_off = s->in_len = 0;
}

static void
sess_read(struct ng_cli_sess *s)
{
	ssize_t r = recv(s->fd, s->in, sizeof(s->in), MSG_DONTWAIT);

	if (r == 0) {
		if (s->closing) {
			s->dead = true; /* drained after quit: done */
			return;
		}
		cli_eof(s);
		cli_sess_quit(s);
		return;
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			s->dead = true;
		return;
	}
	if (s->closing)
		return; /* draining after quit */
	s->active_ms = cli_now_ms();
	s->in_off = 0;
	s->in_len = (size_t)r;
	sess_feed_staged(s);
}

static void
sess_service(struct ng_cli_sess *s, short revents)
{
	s->budget = NG_CLI_LINES_PER_ROUND;
	if (revents & POLLNVAL)
		s->dead = true;
	if (revents & POLLOUT)
		sess_flush(s);
	if (s->in_off < s->in_len)
		sess_feed_staged(s);
	else if (revents & (POLLIN | POLLHUP | POLLERR))
		sess_read(s);
	if (!s->dead)
		sess_flush(s);
	if (s->closing && !s->shut_wr && !s->dead && cli_out_pending(s) == 0) {
		shutdown(s->fd, SHUT_WR);
		s->shut_wr = true;
	}
}

static void
sess_close(unsigned int i)
{
	struct ng_cli_sess *s = srv.sess[i];

	NG_LOG(DEBUG, CLI, "session %u (%s) closed", s->id, s->peer);
	close(s->fd);
	cli_sess_free(s);
	srv.sess[i] = srv.sess[--srv.nsess];
	srv.sess[srv.nsess] = NULL;
}

/* Close dead sessions and closing ones past their deadline. */
static void
sweep(uint64_t now)
{
	unsigned int i = 0;

	while (i < srv.nsess) {
		struct ng_cli_sess *s = srv.sess[i];

		if (s->dead || (s->closing && now >= s->deadline))
			sess_close(i);
		else
			i++;
	}
}

/* Close session i now, with a last line to it (best effort: the slot is needed). */
static void
sess_evict(unsigned int i, const char *why)
{
	struct ng_cli_sess *s = srv.sess[i];

	if (!s->out_nl && s->greeted)
		cli_out_text(s, "\n", 1);
	ng_cli_error(s, "%s", why);
	sess_flush(s);
	sess_close(i);
}

/*
 * The session to close for a new client when the table is full: one that is
 * leaving anyway, else the one idle longest that has not typed anything, else
 * the one idle longest if that is NG_CLI_EVICT_TYPED_MS or more. -1: none.
 */
static int
pick_victim(uint64_t now)
{
	int best = -1;

	for (unsigned int i = 0; i < srv.nsess; i++) {
		const struct ng_cli_sess *s = srv.sess[i], *b;

		if (s->dead || s->shut_wr)
			return (int)i;
		if (s->closing || (s->typed && now - s->active_ms < NG_CLI_EVICT_TYPED_MS))
			continue;
		b = best >= 0 ? srv.sess[best] : NULL;
		if (b == NULL || (b->typed && !s->typed) ||
				(b->typed == s->typed && s->active_ms < b->active_ms))
			best = (int)i;
	}
	return best;
}

/* The table is full: make room for one more client. @return false: refuse it. */
static bool
make_room(void)
{
	uint64_t now = cli_now_ms();
	int v = pick_victim(now);
	const struct ng_cli_sess *s;

	if (v < 0) {
		srv.refused++;
		return false;
	}
	s = srv.sess[v];
	if (s->dead || s->shut_wr) { /* leaving anyway, its output sent */
		sess_close((unsigned int)v);
		return true;
	}
	srv.evicted++;
	NG_LOG(NOTICE, CLI, "session %u (%s) closed for a new client: %u sessions, and it was "
		"idle longest (%" PRIu64 " s%s)", s->id, s->peer, srv.nsess,
		(now - s->active_ms) / 1000, s->typed ? "" : ", never typed");
	sess_evict((unsigned int)v, s->typed ? "CLI full: closing this session, idle longest" :
		"CLI full: closing this session, idle longest without typing anything");
	return true;
}

static void
peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	buf[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	}
}

static void
accept_some(void)
{
	for (int k = 0; k < ACCEPT_PER_ROUND; k++) {
		static const char full[] = "% too many CLI sessions\r\n";
		struct ng_cli_sess *s;
		int one = 1;
		int fd = accept4(srv.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* EMFILE and the like: back off instead of spinning on POLLIN */
				NG_LOG(WARNING, CLI, "accept: %s; not accepting for %d ms",
					strerror(errno), ACCEPT_BACKOFF_MS);
				srv.accept_after = cli_now_ms() + ACCEPT_BACKOFF_MS;
			}
			return;
		}
		if (srv.nsess >= NG_CLI_MAX_SESS && !make_room()) {
			if (send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				NG_LOG(DEBUG, CLI, "send: %s", strerror(errno));
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		s = cli_sess_new(fd);
		if (s == NULL) {
			close(fd);
			continue;
		}
		s->id = ++srv.next_id;
		peer_name(fd, s->peer, sizeof(s->peer));
		NG_LOG(DEBUG, CLI, "session %u (%s) opened", s->id, s->peer);
		srv.sess[srv.nsess++] = s;
		sess_flush(s);
	}
}

/* Sessions silent for the idle timeout are told so and closed. @return ms to the next one. */
static uint64_t
idle_check(uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (srv.idle_ms == 0)
		return next;
	for (unsigned int i = 0; i < srv.nsess; i++) {
		struct ng_cli_sess *s = srv.sess[i];
		uint64_t idle = now - s->active_ms;

		if (s->closing || s->dead)
			continue;
		if (idle < srv.idle_ms) {
			if (srv.idle_ms - idle < next)
				next = srv.idle_ms - idle;
			continue;
		}
		srv.timed_out++;
		NG_LOG(INFO, CLI, "session %u (%s) idle for %" PRIu64 " s, closing it", s->id,
			s->peer, idle / 1000);
		if (!s->out_nl && s->greeted)
			cli_out_text(s, "\n", 1);
		ng_cli_error(s, "idle for %" PRIu64 " s (cli.idle_timeout_s): closing the session",
			(srv.idle_ms + 999) / 1000);
		cli_sess_quit(s);
	}
	return next;
}

/* Sessions silent since they connected get the telnet negotiation and the banner. */
static void
greet_silent(uint64_t now)
{
	for (unsigned int i = 0; i < srv.nsess; i++) {
		struct ng_cli_sess *s = srv.sess[i];

		if (!s->greeted && s->mode == CLI_MODE_NEW && now >= s->greet_at && !s->dead) {
			cli_sess_greet(s, true);
			sess_flush(s);
		}
	}
}

int
ng_cli_poll(int timeout_ms)
{
	return ng_cli_poll_wake(timeout_ms, NULL, 0);
}

int
ng_cli_poll_wake(int timeout_ms, const struct pollfd *wake, unsigned int n_wake)
{
	struct ng_cli_sess *snap[NG_CLI_MAX_SESS];
	unsigned int n;
	uint64_t now, next;
	int events = 0;
	int r;

	if (srv.lfd < 0)
		return -EBADF;
	if (timeout_ms < 0)
		timeout_ms = 0;
	now = cli_now_ms();
	sweep(now);
	next = idle_check(now);
	if (next < (uint64_t)timeout_ms)
		timeout_ms = (int)next;
	n = srv.nsess;
	srv.pfd[0] = (struct pollfd){.fd = srv.lfd, .events = now >= srv.accept_after ? POLLIN : 0};
	if (now < srv.accept_after && timeout_ms > (int)(srv.accept_after - now))
		timeout_ms = (int)(srv.accept_after - now);
	for (unsigned int i = 0; i < n; i++) {
		struct ng_cli_sess *s = srv.sess[i];
		short ev = 0;

		if (!s->greeted && s->mode == CLI_MODE_NEW)
			timeout_ms = s->greet_at <= now ? 0 :
				RTE_MIN(timeout_ms, (int)(s->greet_at - now));
		if (s->in_off < s->in_len) {
			if (!sess_paused(s))
				timeout_ms = 0; /* staged input can be fed now (line budget) */
		} else if (s->shut_wr || (!s->closing && !sess_paused(s))) {
			ev |= POLLIN;
		}
		if (cli_out_pending(s) > 0)
			ev |= POLLOUT;
		snap[i] = s;
		srv.pfd[i + 1] = (struct pollfd){.fd = s->fd, .events = ev};
	}
	n_wake = RTE_MIN(n_wake, (unsigned int)NG_CLI_WAKE_FDS);
	for (unsigned int i = 0; i < n_wake; i++)
		srv.pfd[n + 1 + i] = wake[i];
	r = poll(srv.pfd, n + 1 + n_wake, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	for (unsigned int i = 0; i < n; i++) {
		short rev = srv.pfd[i + 1].revents;

		if (rev != 0)
			events++;
		if (rev != 0 || snap[i]->in_off < snap[i]->in_len)
			sess_service(snap[i], rev);
	}
	/* after reading: a client that spoke first is not negotiated with */
	greet_silent(cli_now_ms());
	if (srv.pfd[0].revents != 0) {
		events++;
		accept_some();
	}
	sweep(cli_now_ms());
	return events;
}

/* ---- show cli ---- */

static const char *
mode_name(const struct ng_cli_sess *s)
{
	switch (s->mode) {
	case CLI_MODE_LINE:
		return "line";
	case CLI_MODE_TELNET:
		return cli_char_mode(s) ? "telnet" : "telnet-line";
	case CLI_MODE_BATCH:
		return "batch";
	case CLI_MODE_NEW:
	default:
		return "new";
	}
}

static int
show_cli_json(struct ng_cli_sess *self, uint64_t now)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *a;

	cJSON_AddNumberToObject(o, "idle_timeout_s", (double)(srv.idle_ms / 1000));
	cJSON_AddNumberToObject(o, "max_sessions", NG_CLI_MAX_SESS);
	cJSON_AddNumberToObject(o, "closed_for_room", (double)srv.evicted);
	cJSON_AddNumberToObject(o, "refused", (double)srv.refused);
	cJSON_AddNumberToObject(o, "timed_out", (double)srv.timed_out);
	a = cJSON_AddArrayToObject(o, "sessions");
	for (unsigned int i = 0; i < srv.nsess && a != NULL; i++) {
		const struct ng_cli_sess *s = srv.sess[i];
		cJSON *e = cJSON_CreateObject();

		if (e == NULL || !cJSON_AddItemToArray(a, e)) {
			cJSON_Delete(e);
			break;
		}
		cJSON_AddNumberToObject(e, "id", s->id);
		cJSON_AddStringToObject(e, "client", s->peer);
		cJSON_AddStringToObject(e, "mode", mode_name(s));
		cJSON_AddNumberToObject(e, "age_s", (double)((now - s->opened_ms) / 1000));
		cJSON_AddNumberToObject(e, "idle_s", (double)((now - s->active_ms) / 1000));
		cJSON_AddBoolToObject(e, "typed", s->typed);
		cJSON_AddNumberToObject(e, "lines", (double)s->nlines);
		cJSON_AddBoolToObject(e, "self", s == self);
	}
	if (a == NULL) {
		cJSON_Delete(o);
		o = NULL; /* ng_cli_print_json() reports it */
	}
	return ng_cli_print_json(self, o);
}

static int
cmd_show_cli(struct ng_cli_sess *self, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	uint64_t now = cli_now_ms();
	int w = (int)strlen("client");

	if (ng_cli_no_args(self, "show cli", argc, argv) < 0)
		return -1;
	if (json)
		return show_cli_json(self, now);
	ng_cli_printf(self, "sessions %u of %u; idle timeout %" PRIu64 " s%s; closed for room "
		"%" PRIu64 ", refused %" PRIu64 ", timed out %" PRIu64 "\n", srv.nsess,
		NG_CLI_MAX_SESS, srv.idle_ms / 1000, srv.idle_ms == 0 ? " (off)" : "",
		srv.evicted, srv.refused, srv.timed_out);
	for (unsigned int i = 0; i < srv.nsess; i++)
		w = RTE_MAX(w, (int)strlen(srv.sess[i]->peer));
	ng_cli_printf(self, "%6s  %-*s  %-11s  %8s  %8s  %5s  %8s\n", "id", w, "client", "mode",
		"age_s", "idle_s", "typed", "lines");
	for (unsigned int i = 0; i < srv.nsess; i++) {
		const struct ng_cli_sess *s = srv.sess[i];

		ng_cli_printf(self, "%6u  %-*s  %-11s  %8" PRIu64 "  %8" PRIu64 "  %5s  %8" PRIu64
			"%s\n", s->id, w, s->peer, mode_name(s), (now - s->opened_ms) / 1000,
			(now - s->active_ms) / 1000, s->typed ? "yes" : "no", s->nlines,
			s == self ? "  (this session)" : "");
	}
	return 0;
}

static const struct ng_cli_cmd srv_cmds[] = {
	{"show cli", "[json]", "CLI sessions: client, mode, age, idle time; the idle timeout",
		cmd_show_cli, NULL},
};

int
ng_cli_set_idle_timeout(uint32_t seconds)
{
	if (seconds > NG_CLI_IDLE_TIMEOUT_MAX)
		return -EINVAL;
	srv.idle_ms = (uint64_t)seconds * 1000;
	return 0;
}

uint32_t
ng_cli_idle_timeout(void)
{
	return (uint32_t)(srv.idle_ms / 1000);
}

void
cli_set_idle_timeout_ms(uint64_t ms)
{
	srv.idle_ms = ms;
}

/* ---- listener ---- */

static bool
addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		(IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
}

int
ng_cli_init(const char *addr, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int one = 1;
	int fd, rc;

	if (srv.lfd >= 0)
		return ng_err(err, errlen, -EALREADY, "CLI already listening on port %u", srv.port);
	if (addr == NULL)
		return ng_err(err, errlen, -EINVAL, "no CLI address");
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		sl = sizeof(*in);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		sl = sizeof(*in6);
	} else {
		return ng_err(err, errlen, -EINVAL,
			"bad CLI address \"%s\": expected an IPv4 or IPv6 address", addr);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		return ng_err(err, errlen, rc, "CLI socket: %s", strerror(-rc));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		close(fd);
		return ng_err(err, errlen, rc, "cannot listen on %s port %u for the CLI: %s", addr,
			port, strerror(-rc));
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		rc = -errno;
		close(fd);
		return ng_err(err, errlen, rc, "CLI getsockname: %s", strerror(-rc));
	}
	rc = ng_cli_register(srv_cmds, RTE_DIM(srv_cmds));
	if (rc < 0 && rc != -EEXIST) {
		close(fd);
		return ng_err(err, errlen, rc, "CLI commands: %s", strerror(-rc));
	}
	srv.port = ntohs(ss.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
	srv.lfd = fd;
	if (!addr_is_loopback(&ss))
		NG_LOG(WARNING, CLI,
			"listening on %s port %u, not a loopback address: the CLI has no "
			"authentication", addr, srv.port);
	else
		NG_LOG(INFO, CLI, "listening on %s port %u", addr, srv.port);
	return 0;
}

void
ng_cli_fini(void)
{
	while (srv.nsess > 0) {
		struct ng_cli_sess *s = srv.sess[srv.nsess - 1];

		if (!s->dead)
			sess_flush(s);
		sess_close(srv.nsess - 1);
	}
	if (srv.lfd >= 0)
		close(srv.lfd);
	srv.lfd = -1;
	srv.port = 0;
	srv.idle_ms = NG_CLI_IDLE_TIMEOUT_DEF * 1000ull;
	srv.evicted = srv.refused = srv.timed_out = 0;
	srv.next_id = 0;
	cli_cmds_clear();
}

uint16_t
ng_cli_port(void)
{
	return srv.lfd >= 0 ? srv.port : 0;
}
