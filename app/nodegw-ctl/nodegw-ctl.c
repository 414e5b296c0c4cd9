/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nodegw-ctl: run CLI commands of a running nodegw, as vppctl or birdc do.
 *
 *   nodegw-ctl [-s HOST:PORT] [-t SECONDS] COMMAND [ARG...]
 *   nodegw-ctl [-s HOST:PORT] [-t SECONDS] < commands
 *
 * It asks the CLI for batch mode (cli.h): no banner, no prompt, no echo, and
 * each command's reply ends with NG_CLI_BATCH_END and a status. So it prints
 * exactly what the commands print: to stdout when a command succeeds, to
 * stderr when it fails. Exit status: 0 all commands succeeded, 1 one failed,
 * 2 usage, 3 nodegw could not be reached, closed the connection, or did not
 * answer in time.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
	EXIT_CMD_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_CONN = 3,
};

static const char usage_text[] =
	"usage: nodegw-ctl [-s HOST:PORT] [-t SECONDS] [COMMAND [ARG...]]\n"
	"\n"
	"Runs a command of nodegw's CLI and prints only its output; without COMMAND,\n"
	"runs each line of standard input as a command.\n"
	"\n"
	"  -s HOST:PORT  the CLI's address (default %s:%u; [ADDRESS]:PORT for IPv6)\n"
	"  -t SECONDS    how long to wait to connect and for each reply (default 10)\n"
	"  -h            this help\n"
	"\n"
	"A command's output goes to stdout, or to stderr when the command fails.\n"
	"Exit status: 0 every command succeeded, 1 a command failed, 2 bad usage,\n"
	"3 nodegw could not be reached, closed the connection or did not answer.\n";

struct conn {
	int fd;
	const char *where;  /**< HOST:PORT, for messages */
	int timeout_ms;
	uint8_t buf[65536]; /**< received, not consumed yet */
	size_t off, len;
	char *reply;        /**< the reply being collected */
	size_t rlen, rcap;
};

static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list ap;

	fputs("nodegw-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Split HOST:PORT, [V6]:PORT, HOST or :PORT. @return 0, or -1 (message printed). */
static int
parse_server(char *arg, const char **host, const char **port)
{
	char *colon;

	if (arg[0] == '[') {
		char *end = strchr(arg, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			say("-s %s: expected [ADDRESS]:PORT", arg);
			return -1;
		}
		*end = '\0';
		*host = arg + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strchr(arg, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			say("-s %s: write an IPv6 address as [ADDRESS]:PORT", arg);
			return -1;
		}
		if (colon != NULL)
			*colon = '\0';
		if (arg[0] != '\0')
			*host = arg;
	}
	if (colon != NULL) {
		char *e;
		long p = strtol(colon + 1, &e, 10);

		if (colon[1] == '\0' || *e != '\0' || p < 1 || p > 65535) {
			say("-s: port \"%s\" is not a number in 1..65535", colon + 1);
			return -1;
		}
		*port = colon + 1;
	}
	return 0;
}

/* Connect to one address within timeout_ms. @return fd, or -errno. */
static int
connect_one(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd p;
	int err = 0, fd, r;
	socklen_t sl = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return -err;
	}
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		err = ETIMEDOUT;
	else if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err != 0) {
		close(fd);
		return -err;
	}
	return fd;
}

/* @return fd, or -1 (message printed). */
static int
connect_cli(const char *host, const char *port, const char *where, int timeout_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	int rc = -ENOENT, fd = -1;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		say("cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		rc = connect_one(ai, timeout_ms);
		if (rc >= 0)
			fd = rc;
	}
	freeaddrinfo(res);
	if (fd < 0)
		say("cannot connect to %s: %s%s", where, strerror(-rc),
			rc == -ECONNREFUSED ? " (is nodegw running, with its CLI on?)" : "");
	return fd;
}

static int
send_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pw = {.fd = c->fd, .events = POLLOUT};

			if (poll(&pw, 1, c->timeout_ms) <= 0) {
				say("%s: cannot send (no progress within %d ms)", c->where,
					c->timeout_ms);
				return -1;
			}
			continue;
		}
		if (r < 0) {
			say("%s: %s", c->where, strerror(errno));
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Receive more, by the deadline. @return bytes, 0 at EOF, -1 (message printed). */
static ssize_t
fill(struct conn *c, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) {
			say("%s: no answer within %d s", c->where, c->timeout_ms / 1000);
			return -1;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			return -1;
		}
		r = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
		if (r >= 0) {
			c->off = 0;
			c->len = (size_t)r;
			return r;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			say("%s: %s", c->where, strerror(errno));
			return -1;
		}
	}
}

static int
reply_add(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->rlen + n + 1 > c->rcap) {
		size_t cap = c->rcap ? c->rcap : 65536;
		char *q;

		while (cap < c->rlen + n + 1)
			cap *= 2;
		q = realloc(c->reply, cap);
		if (q == NULL) {
			say("out of memory");
			return -1;
		}
		c->reply = q;
		c->rcap = cap;
	}
	memcpy(c->reply + c->rlen, p, n);
	c->rlen += n;
	return 0;
}

/*
 * One reply: the output up to NG_CLI_BATCH_END (in c->reply, c->rlen), then
 * the status and "\n". @return the status (0 or 1), or -1 (message printed).
 */
static int
read_reply(struct conn *c)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	bool ended = false;
	int status = -1;

	c->rlen = 0;
	for (;;) {
		while (c->off < c->len) {
			uint8_t b = c->buf[c->off];
			const uint8_t *end;

			if (status >= 0) { /* after the status: its "\n" */
				c->off++;
				if (b == '\n')
					return status;
				continue;
			}
			if (ended) {
				c->off++;
				status = b == '0' ? 0 : 1;
				continue;
			}
			end = memchr(c->buf + c->off, NG_CLI_BATCH_END, c->len - c->off);
			if (end == NULL) {
				if (reply_add(c, c->buf + c->off, c->len - c->off) < 0)
					return -1;
				c->off = c->len;
				break;
			}
			if (reply_add(c, c->buf + c->off, (size_t)(end - (c->buf + c->off))) < 0)
				return -1;
			c->off = (size_t)(end - c->buf) + 1;
			ended = true;
		}
		switch (fill(c, deadline)) {
		case -1:
			return -1;
		case 0:
			if (c->rlen > 0) /* e.g. "% too many CLI sessions" */
				fwrite(c->reply, 1, c->rlen, stderr);
			say("%s closed the connection before the end of the reply", c->where);
			return -1;
		default:
			break;
		}
	}
}

/* Send one command line and print its reply. @return 0, 1 (it failed), -1. */
static int
run(struct conn *c, const char *line)
{
	int st;

	if (send_all(c, line, strlen(line)) < 0 || send_all(c, "\n", 1) < 0)
		return -1;
	st = read_reply(c);
	if (st < 0)
		return -1;
	if (fwrite(c->reply, 1, c->rlen, st == 0 ? stdout : stderr) != c->rlen) {
		say("writing the output: %s", strerror(errno));
		return -1;
	}
	fflush(st == 0 ? stdout : stderr);
	return st;
}

/*
 * The words of the command line as one CLI line: a word with blanks, or an
 * empty one, goes in "double quotes". @return the line (malloc), or NULL.
 */
static char *
join_args(int argc, char **argv)
{
	size_t cap = 1;
	char *line, *o;

	for (int i = 0; i < argc; i++)
		cap += strlen(argv[i]) + 3;
	line = o = malloc(cap);
	if (line == NULL) {
		say("out of memory");
		return NULL;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool q = a[0] == '\0' || strpbrk(a, " \t") != NULL;

		if (strpbrk(a, "\r\n") != NULL || (q && strchr(a, '"') != NULL)) {
			say("argument %d (\"%s\"): the CLI cannot take %s", i + 1, a,
				strpbrk(a, "\r\n") != NULL ? "a line end in a command" :
				"a word with both blanks and a double quote");
			free(line);
			return NULL;
		}
		o += sprintf(o, "%s%s%s%s", i > 0 ? " " : "", q ? "\"" : "", a, q ? "\"" : "");
	}
	*o = '\0';
	return line;
}

/* Each line of stdin. @return the exit status so far, or -1. */
static int
run_stdin(struct conn *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int worst = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		int st;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		st = run(c, line);
		if (st < 0) {
			worst = -1;
			break;
		}
		if (st > 0)
			worst = EXIT_CMD_FAILED;
	}
	free(line);
	return worst;
}

int
main(int argc, char **argv)
{
	static struct conn c;
	char port_def[8], server[300] = "";
	const char *host = NG_CLI_ADDR_DEF, *port = port_def;
	int opt, rc;
	long t = 10;

	snprintf(port_def, sizeof(port_def), "%u", NG_CLI_PORT_DEF);
	while ((opt = getopt(argc, argv, "+s:t:h")) != -1) {
		char *e;

		switch (opt) {
		case 's':
			if (parse_server(optarg, &host, &port) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			t = strtol(optarg, &e, 10);
			if (optarg[0] == '\0' || *e != '\0' || t < 1 || t > 86400) {
				say("-t %s: expected seconds, 1..86400", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			printf(usage_text, NG_CLI_ADDR_DEF, NG_CLI_PORT_DEF);
			return 0;
		default:
			fprintf(stderr, usage_text, NG_CLI_ADDR_DEF, NG_CLI_PORT_DEF);
			return EXIT_USAGE;
		}
	}
	if (strchr(host, ':') != NULL)
		snprintf(server, sizeof(server), "[%s]:%s", host, port);
	else
		snprintf(server, sizeof(server), "%s:%s", host, port);
	c.where = server;
	c.timeout_ms = (int)t * 1000;
	c.fd = connect_cli(host, port, server, c.timeout_ms);
	if (c.fd < 0)
		return EXIT_CONN;
	/* batch mode; whatever precedes the status of the request is skipped */
	if (send_all(&c, NG_CLI_BATCH_REQUEST "\n", sizeof(NG_CLI_BATCH_REQUEST)) < 0 ||
			read_reply(&c) < 0) {
		rc = -1;
	} else if (optind < argc) {
		char *line = join_args(argc - optind, argv + optind);

		rc = line == NULL ? -2 : run(&c, line);
		free(line);
	} else {
		rc = run_stdin(&c);
	}
	shutdown(c.fd, SHUT_WR);
	close(c.fd);
	free(c.reply);
	return rc == -2 ? EXIT_USAGE : rc < 0 ? EXIT_CONN : rc > 0 ? EXIT_CMD_FAILED : 0;
}
