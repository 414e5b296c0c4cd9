/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading a config in a child process, so that nothing the parser library
 * does on bad input reaches the gateway.
 *
 * libconfig 1.5's scanner calls exit() when a read fails, leaks the string
 * it holds on some syntax errors, and blocks on a FIFO. The gateway therefore
 * never runs it: a child runs ng_conf_load() and sends the validated struct
 * ng_conf (with its arrays) back over a pipe, then _exit()s. The parent only
 * reads that stream, bounded in size by the loader's limits and in time by
 * a deadline. What it loads is exactly what the child validated: the files
 * are read once, by the child, so a file changed after the check cannot slip
 * in unchecked.
 *
 * The child is forked by the config helper (conf_helper.c), a small process
 * started before EAL. Without one, conf_load_child() forks the caller: the
 * child touches no DPDK state (the loader needs only malloc, stdio and
 * libconfig), glibc resets its malloc and stdio-list locks in a forked
 * child, and worker lcores never hold them (they never allocate or do I/O).
 * A child that dies, exits early or hangs anyway (a hung file system, a
 * sanitizer runtime deadlocked by fork) is reported as a refusal; a child
 * that does not die even after SIGKILL is reaped at a later call.
 *
 * The stream: a header (magic, status, errno), then either the error message
 * or the struct ng_conf, its routes, neighbours and services, each service's
 * VIPs, backends and source ranges, and a trailer. The child is the same
 * binary, so the structs are sent as they are (everything but those arrays is
 * held in them: ports and their kernel twins, probes, node_port_addresses,
 * cli, kubernetes, bgp); the parent checks every count against the loader's
 * limits, those of the arrays before it allocates and those inside the
 * structs before it returns, so a short or corrupt stream cannot make it or
 * its caller overrun or allocate without bound.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf_priv.h"

#define CHILD_MAGIC 0x6e67636fu   /* "ngco" */
#define CHILD_TRAILER 0x656e6421u /* "end!" */
#define CHILD_OK 0u
#define CHILD_ERR 1u
/* Children not yet reaped (killed but stuck in the kernel); see conf_child_reap(). */
#define STRAGGLERS_MAX 8
/* The parent's read buffer: a pipe's default capacity. */
#define CONF_STREAM_BUF 65536
/* Pieces the child gathers into one writev(). */
#define CONF_STREAM_IOV 64

struct child_hdr {
	uint32_t magic;
	uint32_t status; /**< CHILD_OK or CHILD_ERR */
	int32_t err_no;  /**< errno of a failed load */
	uint32_t len;    /**< CHILD_ERR: length of the message that follows */
};

/*
 * The structs travel as they are, their heap arrays after them (put_conf(),
 * get_body(), get_services()). A heap field added to one of them must be sent
 * and received here too, or the parent would keep the child's pointer: their
 * sizes are pinned so that a changed struct stops the build until this file
 * is updated (then pin the new size).
 */
static_assert(sizeof(struct ng_conf_service) == 296,
	"struct ng_conf_service changed: send any new heap array in conf_child.c");
static_assert(sizeof(struct ng_conf) == 40832,
	"struct ng_conf changed: send any new heap array in conf_child.c");

static pid_t stragglers[STRAGGLERS_MAX];

uint64_t
conf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t
min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ---- the child ---- */

/*
 * The child's side of the stream, gathered: the pieces go out together in one
 * writev(), so the parent wakes once to read them rather than once a piece
 * (each wake-up a trip through the scheduler, which is what a reload costs on
 * a loaded machine). No copy and no buffer: the child's every page written is
 * a page fault, and the pieces stay where they are until flush().
 */
struct wstream {
	int fd;
	int n;
	struct iovec iov[CONF_STREAM_IOV];
};

static int
flush(struct wstream *w)
{
	struct iovec *v = w->iov;
	int cnt = w->n;

	w->n = 0;
	while (cnt > 0) {
		ssize_t r = writev(w->fd, v, cnt);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		for (; cnt > 0 && (size_t)r >= v->iov_len; v++, cnt--)
			r -= (ssize_t)v->iov_len;
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + r;
			v->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Queue n bytes at p (they must stay until flush()). */
static int
put(struct wstream *w, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	w->iov[w->n++] = (struct iovec){.iov_base = (void *)(uintptr_t)p, .iov_len = n};
	return w->n == CONF_STREAM_IOV ? flush(w) : 0;
}

static int
put_conf(struct wstream *w, const struct ng_conf *c)
{
	struct child_hdr h = {.magic = CHILD_MAGIC, .status = CHILD_OK};
	uint32_t trailer = CHILD_TRAILER;

	if (put(w, &h, sizeof(h)) < 0 || put(w, c, sizeof(*c)) < 0 ||
			put(w, c->routes, sizeof(*c->routes) * c->n_routes) < 0 ||
			put(w, c->neighbours, sizeof(*c->neighbours) * c->n_neighbours) < 0 ||
			put(w, c->services, sizeof(*c->services) * c->n_services) < 0)
		return -1;
	for (unsigned int i = 0; i < c->n_services; i++) {
		const struct ng_conf_service *s = &c->services[i];

		if (put(w, s->vips, sizeof(*s->vips) * s->n_vips) < 0 ||
				put(w, s->backends, sizeof(*s->backends) * s->n_backends) < 0 ||
				put(w, s->src_ranges,
					sizeof(*s->src_ranges) * s->n_src_ranges) < 0)
			return -1;
	}
	if (put(w, &trailer, sizeof(trailer)) < 0)
		return -1;
	return flush(w);
}

int
conf_child_answer(int fd, const char *path, conf_loader_fn load)
{
	struct child_hdr h = {.magic = CHILD_MAGIC, .status = CHILD_ERR};
	struct wstream w = {.fd = fd};
	char err[NG_ERRBUF] = "";
	struct ng_conf *c;
	int rc;

	errno = 0;
	c = load(path, err, sizeof(err));
	if (c != NULL) {
		rc = put_conf(&w, c) < 0 ? -1 : 1;
		ng_conf_free(c);
		return rc;
	}
	h.err_no = errno != 0 ? errno : EINVAL;
	h.len = (uint32_t)strnlen(err, sizeof(err) - 1);
	return put(&w, &h, sizeof(h)) < 0 || put(&w, err, h.len) < 0 || flush(&w) < 0 ? -1 : 0;
}

void
conf_child_run(int fd, const char *path, conf_loader_fn load)
{
	int rc;

	/* A ^C or a SIGTERM to the process group ends the child too; the
	 * parent's handlers would only set its (copied) flags. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	rc = conf_child_answer(fd, path, load);
	/* No atexit handlers, no leak report: the process ends here. */
	_exit(rc < 0 ? 3 : 0);
}

/* ---- the parent ---- */

/* The parent's side of the stream: read in large pieces, served from a buffer. */
struct rstream {
	int fd;
	uint64_t deadline;
	size_t off, len;
	char buf[CONF_STREAM_BUF];
};

/* One read() into dst (at most n bytes) once the pipe is readable: the count,
 * or -ETIMEDOUT, -EPIPE (the stream ended: the child exited) or -EIO. */
static ssize_t
fill(struct rstream *s, void *dst, size_t n)
{
	for (;;) {
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		uint64_t t = conf_now_ms();
		ssize_t r;
		int pr;

		if (t >= s->deadline)
			return -ETIMEDOUT;
		pr = poll(&pfd, 1, (int)(s->deadline - t));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -EIO;
		if (pr == 0)
			return -ETIMEDOUT;
		r = read(s->fd, dst, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return r == 0 ? -EPIPE : -EIO;
		return r;
	}
}

/*
 * Exactly n bytes before the deadline: 0, -ETIMEDOUT, -EPIPE or -EIO. What
 * the buffer holds first; a piece at least as large as the buffer is read
 * straight into p.
 */
static int
get(struct rstream *s, void *p, size_t n)
{
	char *b = p;

	while (n > 0) {
		size_t k = min_sz(n, s->len - s->off);
		ssize_t r;

		memcpy(b, s->buf + s->off, k);
		s->off += k;
		b += k;
		n -= k;
		if (n == 0)
			break;
		if (n >= sizeof(s->buf)) {
			if ((r = fill(s, b, n)) < 0)
				return (int)r;
			b += r;
			n -= (size_t)r;
			continue;
		}
		if ((r = fill(s, s->buf, sizeof(s->buf))) < 0)
			return (int)r;
		s->off = 0;
		s->len = (size_t)r;
	}
	return 0;
}

/* n elements of size sz into a new array at *out; counts were checked. */
static int
get_array(struct rstream *s, void **out, size_t n, size_t sz)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = calloc(n, sz);
	if (*out == NULL)
		return -ENOMEM;
	return get(s, *out, n * sz);
}

/* The services, then their VIPs, backends and source ranges. */
static int
get_services(struct rstream *rs, struct ng_conf *c, unsigned int ns)
{
	int rc = get_array(rs, (void **)&c->services, ns, sizeof(*c->services));
	unsigned long frontends = 0, backends = 0;

	if (rc < 0)
		return rc;
	/* The pointers are the child's: clear them all before any can be freed. */
	for (unsigned int i = 0; i < ns; i++) {
		c->services[i].vips = NULL;
		c->services[i].backends = NULL;
		c->services[i].src_ranges = NULL;
	}
	c->n_services = ns;
	for (unsigned int i = 0; i < ns; i++) {
		struct ng_conf_service *s = &c->services[i];

		/* Each service's, and all services' together (VIPs and node ports are
		 * the frontends), as the loader counts them. */
		frontends += s->n_vips + (s->node_port != 0);
		backends += s->n_backends;
		if (s->n_vips > NG_MAX_SVC_VIPS || s->n_backends > NG_MAX_SVC_BACKENDS ||
				s->n_src_ranges > NG_MAX_SVC_SRC_RANGES ||
				frontends > NG_MAX_FRONTENDS || backends > NG_MAX_BACKENDS)
			return -EIO;
		rc = get_array(rs, (void **)&s->vips, s->n_vips, sizeof(*s->vips));
		if (rc < 0)
			return rc;
		rc = get_array(rs, (void **)&s->backends, s->n_backends, sizeof(*s->backends));
		if (rc < 0)
			return rc;
		rc = get_array(rs, (void **)&s->src_ranges, s->n_src_ranges,
			sizeof(*s->src_ranges));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The counts held inside the structs are within the loader's limits (the
 * callers index fixed arrays with them). */
static bool
inline_counts_ok(const struct ng_conf *c)
{
	const size_t max_np_addrs = sizeof(c->nodeport.addrs) / sizeof(c->nodeport.addrs[0]);

	if (c->n_ports > NG_MAX_PORTS || c->workers.n_lcores > NG_MAX_WORKERS ||
			c->nodeport.n_prefixes > NG_MAX_NODEPORT_ADDRS ||
			c->nodeport.n_addrs > max_np_addrs ||
			c->bgp.n_service_cidrs > NG_BGP_CIDRS_MAX)
		return false;
	for (unsigned int i = 0; i < c->n_ports; i++)
		if (c->ports[i].n_addrs > NG_MAX_PORT_ADDRS ||
				c->ports[i].n_fullnat > NG_MAX_FULLNAT_ADDRS)
			return false;
	return true;
}

/* The struct, its arrays and the trailer; c is zeroed on entry. */
static int
get_body(struct rstream *s, struct ng_conf *c)
{
	unsigned int nr, nn, ns;
	uint32_t trailer;
	int rc;

	if ((rc = get(s, c, sizeof(*c))) < 0)
		return rc;
	nr = c->n_routes;
	nn = c->n_neighbours;
	ns = c->n_services;
	c->routes = NULL;
	c->neighbours = NULL;
	c->services = NULL;
	c->n_routes = c->n_neighbours = c->n_services = 0;
	if (nr > NG_MAX_ROUTES || nn > NG_MAX_STATIC_NEIGH || ns > NG_MAX_SERVICES)
		return -EIO;
	if ((rc = get_array(s, (void **)&c->routes, nr, sizeof(*c->routes))) < 0)
		return rc;
	c->n_routes = nr;
	rc = get_array(s, (void **)&c->neighbours, nn, sizeof(*c->neighbours));
	if (rc < 0)
		return rc;
	c->n_neighbours = nn;
	if ((rc = get_services(s, c, ns)) < 0 || (rc = get(s, &trailer, sizeof(trailer))) < 0)
		return rc;
	return trailer == CHILD_TRAILER && inline_counts_ok(c) ? 0 : -EIO;
}

struct ng_conf *
conf_child_get(int fd, uint64_t deadline, char *err, size_t errlen, int *child_errno, int *rc)
{
	static struct rstream s; /* 64 KiB: not on the stack; the control core's alone */
	char msg[NG_ERRBUF];
	struct child_hdr h;
	struct ng_conf *c;

	s.fd = fd;
	s.deadline = deadline;
	s.off = s.len = 0;
	if ((*rc = get(&s, &h, sizeof(h))) < 0)
		return NULL;
	if (h.magic != CHILD_MAGIC || (h.status != CHILD_OK && h.status != CHILD_ERR) ||
			(h.status == CHILD_ERR && h.len >= sizeof(msg))) {
		*rc = -EIO;
		return NULL;
	}
	if (h.status == CHILD_ERR) {
		if ((*rc = get(&s, msg, h.len)) < 0)
			return NULL;
		msg[h.len] = '\0';
		snprintf(err, errlen, "%s", msg);
		*child_errno = h.err_no > 0 ? h.err_no : EINVAL;
		*rc = -EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	*rc = get_body(&s, c);
	if (*rc < 0) {
		ng_conf_free(c);
		return NULL;
	}
	return c;
}

/* Try again to reap children that outlived their SIGKILL. */
static void
reap_stragglers(void)
{
	for (unsigned int i = 0; i < STRAGGLERS_MAX; i++)
		if (stragglers[i] > 0 && waitpid(stragglers[i], NULL, WNOHANG) != 0)
			stragglers[i] = 0;
}

int
conf_child_reap(pid_t pid, uint64_t deadline, bool *killed)
{
	/* A pidfd wakes the wait the moment the child exits; without one (a
	 * kernel before 5.3) it is polled every millisecond. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), st = -1;
	bool reaped = false;

	*killed = false;
	reap_stragglers();
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		uint64_t t = conf_now_ms();

		if (r == pid || (r < 0 && errno != EINTR)) {
			reaped = r == pid;
			break;
		}
		if (t >= deadline) {
			if (*killed)
				break;
			kill(pid, SIGKILL);
			*killed = true;
			deadline = t + 1000;
		}
		if (pidfd >= 0)
			poll(&(struct pollfd){.fd = pidfd, .events = POLLIN}, 1,
				(int)(deadline > t ? deadline - t : 1));
		else
			usleep(1000);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (reaped)
		return st;
	for (unsigned int i = 0; *killed && i < STRAGGLERS_MAX; i++)
		if (stragglers[i] == 0) {
			stragglers[i] = pid;
			break;
		}
	return -1;
}

/* Why the child gave no usable answer, for the error buffer. */
static void
explain(const char *path, int rc, int st, unsigned int timeout_ms, char *err, size_t errlen)
{
	if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "%s: refused: the check did not finish within %u ms (is "
			"it, or an @include, a FIFO or on a hung file system?)", path, timeout_ms);
	else if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (rc == -EIO)
		snprintf(err, errlen, "%s: refused: the parser's answer was malformed", path);
	else if (st != -1 && WIFSIGNALED(st))
		snprintf(err, errlen, "%s: refused: the parser died (signal %d, %s) before "
			"it could report", path, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0)
		snprintf(err, errlen, "%s: refused: the parser exited with status %d before "
			"it could report (libconfig exits on a read error)", path,
			WEXITSTATUS(st));
	else
		snprintf(err, errlen, "%s: refused: the parser's answer was cut short", path);
}

struct ng_conf *
conf_child_finish(const char *path, struct ng_conf *c, int rc, int st, int child_errno,
	unsigned int timeout_ms, char *err, size_t errlen)
{
	/* A config is taken only from a child that then exited 0 (or whose
	 * status is unknown: SIGCHLD ignored; the trailer was checked). */
	if (c != NULL && st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		ng_conf_free(c);
		c = NULL;
		rc = -EPIPE;
	}
	if (c != NULL)
		return c;
	if (rc == -EINVAL) {
		errno = child_errno;
		return NULL;
	}
	explain(path != NULL ? path : "(no file)", rc, st, timeout_ms, err, errlen);
	errno = rc == -ETIMEDOUT ? ETIMEDOUT : rc == -ENOMEM ? ENOMEM : ECHILD;
	return NULL;
}

struct ng_conf *
conf_load_child(const char *path, conf_loader_fn load, unsigned int timeout_ms, char *err,
	size_t errlen)
{
	uint64_t deadline = conf_now_ms() + timeout_ms;
	struct ng_conf *c;
	int fds[2], rc, st, child_errno = 0;
	bool killed;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot start the check: %s", path != NULL ? path :
			"(no file)", strerror(e));
		errno = e;
		return NULL;
	}
	if (pid == 0) {
		close(fds[0]);
		conf_child_run(fds[1], path, load);
	}
	close(fds[1]);
	c = conf_child_get(fds[0], deadline, err, errlen, &child_errno, &rc);
	close(fds[0]);
	/* A stream read to its end means the child is exiting: give it the
	 * rest of the time, so that its own exit status is what is reported;
	 * a child that sent something malformed, or is late, is killed now. */
	st = conf_child_reap(pid, rc == 0 || rc == -EINVAL || rc == -EPIPE ? deadline : 0,
		&killed);
	return conf_child_finish(path, c, rc, st, child_errno, timeout_ms, err, errlen);
}

struct ng_conf *
ng_conf_load_isolated(const char *path, char *err, size_t errlen)
{
	char localerr[NG_ERRBUF];
	struct ng_conf *c;
	bool no_helper;

	if (err == NULL || errlen == 0) {
		err = localerr;
		errlen = sizeof(localerr);
	}
	err[0] = '\0';
	c = conf_load_helper(path, NG_CONF_CHECK_TIMEOUT_MS, err, errlen, &no_helper);
	if (!no_helper)
		return c;
	return conf_load_child(path, ng_conf_load, NG_CONF_CHECK_TIMEOUT_MS, err, errlen);
}
