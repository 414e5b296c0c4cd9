/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How nodegw tells BIRD: the file of static routes BIRD's config includes,
 * and a non-blocking client of BIRD's control socket that asks BIRD to read
 * it again ("configure"). doc/architecture.md says why this way.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bgp_core.h"

/* ---- the routes file ---- */

static void
routes_family(FILE *f, const char *proto, const char *iface, const struct ng_bgp_table *t,
		int family)
{
	char buf[NG_IP_STRLEN];

	fprintf(f, "protocol static %s%s {\n\t%s;\n", proto, family == AF_INET ? "4" : "6",
			family == AF_INET ? "ipv4" : "ipv6");
	for (unsigned int i = 0; i < t->n; i++)
		if (t->v[i].announce && t->v[i].pfx.addr.family == family)
			fprintf(f, "\troute %s via \"%s\";\n",
					ng_prefix_fmt(&t->v[i].pfx, buf, sizeof(buf)), iface);
	fprintf(f, "}\n");
}

int
ng_bgp_routes_print(FILE *f, const char *proto, const char *iface,
		const struct ng_bgp_table *t)
{
	fprintf(f, "# Written by nodegw (bgp.routes_file) for BIRD's \"include\"; nodegw\n"
			"# rewrites it and asks BIRD to \"configure\" whenever what it announces\n"
			"# changes. Do not edit. %u prefixes announced.\n", t->n_announce);
	routes_family(f, proto, iface, t, AF_INET);
	routes_family(f, proto, iface, t, AF_INET6);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return (int)t->n_announce;
}

int
ng_bgp_routes_write(const char *path, const char *proto, const char *iface,
		const struct ng_bgp_table *t, char *err, size_t errlen)
{
	char tmp[NG_PATH_MAX + 8];
	FILE *f;
	int rc, e;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		e = errno;
		snprintf(err, errlen, "bgp: routes file %s: %s", tmp, strerror(e));
		return -e;
	}
	rc = ng_bgp_routes_print(f, proto, iface, t);
	if (fclose(f) != 0 && rc >= 0)
		rc = -EIO;
	if (rc >= 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "bgp: routes file %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

/* ---- the control socket ---- */

int
ng_bird_line(const char *line, int *code, bool *last, const char **text)
{
	if (line[0] == ' ' || line[0] == '+') {
		*code = -1;
		*last = false;
		*text = line + 1;
		return 1;
	}
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)line[i]))
			return 0;
	if (line[4] != '-' && line[4] != ' ' && line[4] != '\0')
		return 0;
	*code = (line[0] - '0') * 1000 + (line[1] - '0') * 100 + (line[2] - '0') * 10 +
			(line[3] - '0');
	*last = line[4] != '-';
	*text = line[4] == '\0' ? line + 4 : line + 5;
	return 1;
}

bool
ng_bird_code_ok(int code)
{
	/* 0xxx: done; 0006 "Reconfiguration ignored, shutting down". 8xxx, 9xxx: errors. */
	return code >= 0 && code < 1000 && code != 6;
}

const char *
ng_bird_state_name(enum ng_bird_state s)
{
	switch (s) {
	case NG_BIRD_DOWN:
		return "down";
	case NG_BIRD_GREETING:
		return "connecting";
	case NG_BIRD_READY:
		return "ready";
	case NG_BIRD_BUSY:
		return "busy";
	}
	return "?";
}

void
ng_bird_init(struct ng_bird *b, const char *path, uint32_t timeout_ms, uint32_t retry_ms)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->fd = -1;
	b->timeout_ms = timeout_ms;
	b->retry_ms = retry_ms;
}

void
ng_bird_close(struct ng_bird *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->state = NG_BIRD_DOWN;
	b->in_len = 0;
	b->retry_at = 0;
}

static enum ng_bird_event __attribute__((format(printf, 3, 4)))
lost(struct ng_bird *b, uint64_t now, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->error, sizeof(b->error), fmt, ap);
	va_end(ap);
	ng_bird_close(b);
	b->retry_at = now + b->retry_ms;
	b->losses++;
	return NG_BIRD_EV_LOST;
}

static enum ng_bird_event
connect_now(struct ng_bird *b, uint64_t now)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->fd < 0)
		return lost(b, now, "socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", b->path);
	/* A unix socket connects at once or fails (EAGAIN: BIRD's backlog is full). */
	if (connect(b->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return lost(b, now, "connect %s: %s", b->path, strerror(errno));
	b->state = NG_BIRD_GREETING;
	b->deadline = now + b->timeout_ms;
	b->in_len = 0;
	b->reply[0] = '\0';
	b->connects++;
	return NG_BIRD_EV_NONE;
}

/*
 * Keep the text of a reply: the error lines (8xxx, 9xxx and what continues
 * them) once there is one, else the latest line ("Reconfigured").
 */
static void
reply_add(struct ng_bird *b, int code, const char *text)
{
	size_t n = strlen(b->reply);
	bool err = code >= 8000 || (code < 0 && b->code >= 8000);

	if (code >= 0)
		b->code = code;
	if (err && n > 0 && b->reply_err) {
		snprintf(b->reply + n, sizeof(b->reply) - n, " %s", text);
	} else if (err || !b->reply_err) {
		snprintf(b->reply, sizeof(b->reply), "%s", text);
		b->reply_err = err;
	}
}

/* One complete line. @return the event it ends the exchange with, or NONE. */
static enum ng_bird_event
on_line(struct ng_bird *b, const char *line, uint64_t now)
{
	const char *text;
	bool last;
	int code;

	if (line[0] == '+')
		return NG_BIRD_EV_NONE; /* a message BIRD sent unasked */
	if (ng_bird_line(line, &code, &last, &text) == 0)
		return lost(b, now, "not BIRD's protocol: \"%.60s\"", line);
	switch (b->state) {
	case NG_BIRD_GREETING:
		if (!last)
			return NG_BIRD_EV_NONE;
		if (code != 1)
			return lost(b, now, "unexpected greeting \"%.60s\"", line);
		b->state = NG_BIRD_READY;
		b->last_read = now;
		return NG_BIRD_EV_UP;
	case NG_BIRD_BUSY:
		reply_add(b, code, text);
		if (!last)
			return NG_BIRD_EV_NONE;
		b->state = NG_BIRD_READY;
		b->rtt_ms = (uint32_t)(now - b->sent_at);
		b->last_read = now;
		if (ng_bird_code_ok(b->code))
			b->replies_ok++;
		else
			b->replies_err++;
		return NG_BIRD_EV_REPLY;
	default:
		return lost(b, now, "unasked reply \"%.60s\"", line);
	}
}

/* Hand out the complete lines buffered, up to the first that ends an exchange. */
static enum ng_bird_event
lines(struct ng_bird *b, uint64_t now)
{
	char *nl;

	while ((nl = memchr(b->in, '\n', b->in_len)) != NULL) {
		enum ng_bird_event ev;
		size_t used = (size_t)(nl - b->in) + 1;

		*nl = '\0';
		ev = on_line(b, b->in, now);
		if (b->fd < 0)
			return ev;
		memmove(b->in, b->in + used, b->in_len - used);
		b->in_len -= used;
		if (ev != NG_BIRD_EV_NONE)
			return ev; /* what follows waits for the next poll */
	}
	return NG_BIRD_EV_NONE;
}

/* Read what is there; hand out complete lines (those left over first). */
static enum ng_bird_event
read_some(struct ng_bird *b, uint64_t now)
{
	for (;;) {
		enum ng_bird_event ev = lines(b, now);
		ssize_t r;

		if (ev != NG_BIRD_EV_NONE || b->fd < 0)
			return ev;
		if (b->in_len == sizeof(b->in) - 1)
			return lost(b, now, "a reply line longer than %zu bytes",
					sizeof(b->in) - 1);
		r = recv(b->fd, b->in + b->in_len, sizeof(b->in) - 1 - b->in_len, MSG_DONTWAIT);
		if (r == 0)
			return lost(b, now, "BIRD closed the connection");
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? NG_BIRD_EV_NONE :
					lost(b, now, "recv: %s", strerror(errno));
		b->in_len += (size_t)r;
	}
}

enum ng_bird_event
ng_bird_poll(struct ng_bird *b, uint64_t now)
{
	enum ng_bird_event ev;

	switch (b->state) {
	case NG_BIRD_DOWN:
		if (now < b->retry_at)
			return NG_BIRD_EV_NONE;
		ev = connect_now(b, now);
		if (ev != NG_BIRD_EV_NONE)
			return ev;
		/* the greeting may be there already */
		__attribute__((fallthrough));
	case NG_BIRD_GREETING:
	case NG_BIRD_BUSY:
		ev = read_some(b, now);
		if (ev == NG_BIRD_EV_NONE && b->fd >= 0 && now >= b->deadline)
			return lost(b, now, "no %s from BIRD within %u ms", b->state ==
					NG_BIRD_BUSY ? "reply" : "greeting", b->timeout_ms);
		return ev;
	case NG_BIRD_READY:
		/* Idle: notice a BIRD that went away, once a second. */
		if (now - b->last_read < 1000)
			return NG_BIRD_EV_NONE;
		b->last_read = now;
		return read_some(b, now);
	}
	return NG_BIRD_EV_NONE;
}

int
ng_bird_send(struct ng_bird *b, const char *cmd, uint64_t now)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s\n", cmd);
	ssize_t w;

	if (b->state != NG_BIRD_READY)
		return -EAGAIN;
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	w = send(b->fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w != n) {
		/* A short line cannot half fit in an idle socket's buffer: treat as lost. */
		lost(b, now, "send: %s", w < 0 ? strerror(errno) : "short write");
		return -EIO;
	}
	b->state = NG_BIRD_BUSY;
	b->sent_at = now;
	b->deadline = now + b->timeout_ms;
	b->code = 0;
	b->reply[0] = '\0';
	b->reply_err = false;
	b->commands++;
	return 0;
}
