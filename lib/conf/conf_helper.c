/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config helper: a small process forked at start-up, before EAL and its
 * threads exist, that forks the children which parse the config
 * (conf_child.c) whenever the gateway reloads.
 *
 * Why not fork the gateway itself at each reload: a running gateway is
 * multi-threaded (worker lcores, EAL's interrupt thread) and large (its
 * page tables, and with --no-huge all of its memory, are copied by fork;
 * pages written afterwards take copy-on-write faults, workers' included).
 * The helper is single-threaded and small, so a fork costs a fraction of a
 * millisecond and nothing in the gateway notices; it never runs libconfig
 * itself, so no input can end it.
 *
 * The protocol, on a SOCK_SEQPACKET socket pair:
 *   gateway -> helper: struct helper_req + the path;
 *   helper -> gateway: struct helper_started, with the read end of the
 *     child's pipe attached (SCM_RIGHTS): the gateway reads the config from
 *     it (conf_child_get);
 *   helper -> gateway: struct helper_done, once the child is reaped (killed
 *     at the request's deadline if it has not finished by then).
 * When the helper is gone or misbehaves, the gateway stops it and forks
 * the children itself from then on (conf_load_child).
 *
 * What keeps a reload cheap (on the 2-core dev VM a fork and exit of a child
 * cost 7 ms of CPU, page tables of 309 mappings copied and torn down; each
 * step between processes is a trip through the scheduler):
 * - the child is a parser forked ahead of the requests, that answers one
 *   after another while they succeed: it gets each path with the write end
 *   of a new answer pipe attached (on its own socket pair with the helper),
 *   closes that pipe after the answer (the gateway's end of stream) and says
 *   "+" to the helper. It ends after a refusal (libconfig may have leaked on
 *   the bad input, or be in a bad state), after PARSER_USES answers, or when
 *   it is killed at a deadline, and the helper forks the next one at once;
 * - the gateway does not wait for helper_done once the stream ended whole
 *   (its trailer, or the whole refusal): it reads it before its next request
 *   (done_collect()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf_priv.h"

#define HELPER_MAGIC 0x6e67686cu /* "nghl" */
/* Extra time the gateway gives the helper past the child's own deadline. */
#define HELPER_GRACE_MS 2000

struct helper_req {
	uint32_t magic;
	uint32_t timeout_ms;
	char path[PATH_MAX];
};

struct helper_started {
	uint32_t magic;
	int32_t err; /**< 0: the pipe is attached; else the errno of pipe/fork */
};

struct helper_done {
	uint32_t magic;
	int32_t status;    /**< the child's wait status; -1: unknown */
	uint32_t timed_out; /**< killed at the deadline */
};

/* A parser answers at most this many requests, then a fresh one takes over. */
#define PARSER_USES 1000

/* The parser, forked ahead of its requests. */
struct spare {
	pid_t pid; /**< -1: none */
	int ctl;   /**< requests to it, its "answered, waiting" back */
};

static int helper_sock = -1;
static pid_t helper_pid = -1;
/* The last request's helper_done is still to be read, by done_by at the latest. */
static bool done_pending;
static uint64_t done_by;

/* ---- in the helper ---- */

/* Send msg, with fd attached when fd >= 0. */
static int
send_msg(int sock, const void *msg, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)(uintptr_t)msg, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/*
 * Receive one message (blocking) into msg, and the fd attached to it into *fd
 * (else -1; any other closed) when fd is not NULL: its length, or -1.
 * *trunc: the message or its fds did not fit.
 */
static ssize_t
recv_fd(int sock, void *msg, size_t len, int *fd, int *trunc)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = msg, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t n;

	if (fd != NULL)
		*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(got));
			if (fd != NULL && *fd < 0)
				*fd = got;
			else
				close(got);
		}
	*trunc = n >= 0 && (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
	return n;
}

/*
 * The parser: answers one request after another (its path, with the write end
 * of the answer's pipe attached, on ctl), and after each config it sent says
 * so on ctl and waits for the next. It ends after a refusal (libconfig may
 * have leaked on the bad input), after PARSER_USES answers, when ctl closes,
 * or with the helper.
 */
static void __attribute__((noreturn))
parser_main(int ctl, pid_t helper, conf_loader_fn load)
{
	char path[PATH_MAX];

	/* Ends with the helper, whatever ends it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != helper)
		_exit(0);
	for (unsigned int i = 0; i < PARSER_USES; i++) {
		int out = -1, rc, trunc;
		ssize_t n = recv_fd(ctl, path, sizeof(path) - 1, &out, &trunc);

		if (n <= 0 || out < 0 || trunc)
			_exit(0); /* the helper dropped us, or is gone */
		path[n] = '\0';
		rc = conf_child_answer(out, path, load);
		close(out); /* the gateway's end-of-stream */
		if (rc != 1)
			_exit(rc < 0 ? 3 : 0);
		if (send(ctl, "+", 1, MSG_NOSIGNAL) != 1)
			_exit(0);
	}
	_exit(0);
}

/* Fork a parser ahead of its first request. 0, or a negative errno. */
static int
spare_fork(int sock, struct spare *sp, conf_loader_fn load)
{
	pid_t helper = getpid();
	int sv[2], e;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	sp->pid = fork();
	e = errno;
	if (sp->pid == 0) {
		close(sock);
		close(sv[0]);
		parser_main(sv[1], helper, load);
	}
	close(sv[1]);
	if (sp->pid < 0) {
		close(sv[0]);
		return -e;
	}
	sp->ctl = sv[0];
	return 0;
}

/* Close the channel to the parser; kill and reap it unless it is exiting. */
static int
spare_drop(struct spare *sp, bool kill_it, uint64_t deadline, bool *killed)
{
	int st;

	*killed = false;
	if (sp->pid <= 0)
		return -1;
	close(sp->ctl);
	if (kill_it) {
		kill(sp->pid, SIGKILL);
		deadline = 0;
	}
	st = conf_child_reap(sp->pid, deadline, killed);
	*killed = *killed || kill_it;
	sp->pid = -1;
	return st;
}

/* Hand the parser (forked now if there is none, or it died) its path and the
 * write end of a new answer pipe; *out: the read end. 0, or a negative errno. */
static int
spare_start(int sock, struct spare *sp, const char *path, conf_loader_fn load, int *out)
{
	int fds[2], rc = -EPIPE;
	bool killed;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	for (int tries = 0; tries < 2; tries++) {
		if (sp->pid <= 0 && (rc = spare_fork(sock, sp, load)) < 0)
			break;
		if (send_msg(sp->ctl, path, strlen(path), fds[1]) == 0) {
			close(fds[1]);
			*out = fds[0];
			return 0;
		}
		rc = -EPIPE;
		spare_drop(sp, true, 0, &killed); /* it died: a fresh one */
	}
	close(fds[0]);
	close(fds[1]);
	return rc;
}

/* The parser's answer to one request: it stays (0), or its wait status once it
 * has exited or, at the deadline, been killed (*killed). */
static int
spare_wait(struct spare *sp, uint64_t deadline, bool *killed)
{
	struct pollfd pfd = {.fd = sp->ctl, .events = POLLIN};
	char b;

	*killed = false;
	for (;;) {
		uint64_t t = conf_now_ms();
		int pr;

		if (t >= deadline)
			return spare_drop(sp, true, 0, killed);
		pr = poll(&pfd, 1, (int)(deadline - t));
		if (pr < 0 && errno != EINTR)
			return spare_drop(sp, true, 0, killed);
		if (pr <= 0)
			continue;
		if (recv(sp->ctl, &b, 1, MSG_DONTWAIT) == 1)
			return 0; /* a config sent; the parser waits for the next */
		return spare_drop(sp, false, deadline, killed); /* it is exiting */
	}
}

/* One request: hand the parser its path, its pipe to the gateway, wait for it
 * to answer (or end), report; fork another parser when it ended. */
static int
helper_serve(int sock, const struct helper_req *req, struct spare *sp, conf_loader_fn load)
{
	struct helper_started started = {.magic = HELPER_MAGIC};
	struct helper_done done = {.magic = HELPER_MAGIC};
	uint64_t deadline = conf_now_ms() + req->timeout_ms;
	bool killed;
	int out = -1, rc = spare_start(sock, sp, req->path, load, &out);

	if (rc < 0)
		return send_msg(sock, &(struct helper_started){HELPER_MAGIC, -rc},
			sizeof(started), -1);
	rc = send_msg(sock, &started, sizeof(started), out);
	close(out);
	if (rc < 0) {
		spare_drop(sp, true, 0, &killed);
		return rc;
	}
	done.status = spare_wait(sp, deadline, &killed);
	done.timed_out = killed;
	rc = send_msg(sock, &done, sizeof(done), -1);
	if (sp->pid <= 0)
		spare_fork(sock, sp, load); /* failing, the next request forks */
	return rc;
}

static void __attribute__((noreturn))
helper_main(int sock, conf_loader_fn load, pid_t parent, const sigset_t *mask)
{
	struct spare sp = {.pid = -1};
	struct helper_req req;

	/* Not ended by what is meant for the gateway (a ^C, SIGHUP or SIGTERM to
	 * the process group); it ends when the gateway closes its socket or dies. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "nodegw-conf");
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (getppid() != parent)
		_exit(0); /* the gateway died before PR_SET_PDEATHSIG took */
	spare_fork(sock, &sp, load); /* failing, the first request forks */
	for (;;) {
		ssize_t n = recv(sock, &req, sizeof(req), 0);
		size_t plen;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= (ssize_t)offsetof(struct helper_req, path) || req.magic != HELPER_MAGIC)
			break; /* end of file: the gateway stopped us, or exited */
		plen = (size_t)n - offsetof(struct helper_req, path);
		if (req.path[plen - 1] != '\0' || helper_serve(sock, &req, &sp, load) < 0)
			break;
	}
	spare_drop(&sp, true, 0, &(bool){false});
	_exit(0);
}

/* ---- in the gateway ---- */

int
conf_helper_start(conf_loader_fn load)
{
	pid_t parent = getpid(), pid;
	sigset_t block, old;
	int sv[2], e;

	if (helper_pid > 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Blocked across fork, so that none of them ends the helper before it
	 * ignores them (blocked signals wait; once ignored they are dropped). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	e = errno;
	if (pid == 0) {
		close(sv[0]);
		helper_main(sv[1], load, parent, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	close(sv[1]);
	helper_sock = sv[0];
	helper_pid = pid;
	return 0;
}

int
ng_conf_helper_start(void)
{
	return conf_helper_start(ng_conf_load);
}

void
ng_conf_helper_stop(void)
{
	bool killed;

	if (helper_pid <= 0)
		return;
	close(helper_sock); /* the helper sees end-of-file and exits */
	conf_child_reap(helper_pid, conf_now_ms() + 1000, &killed);
	helper_sock = -1;
	helper_pid = -1;
	done_pending = false;
}

pid_t
ng_conf_helper_pid(void)
{
	return helper_pid;
}

/*
 * Receive one message of exactly len bytes before deadline, and the fd
 * attached to it (or -1) when fd is not NULL. 0, or -1 when the helper is
 * gone, late or misbehaving.
 */
static int
recv_msg(void *msg, size_t len, int *fd, uint64_t deadline)
{
	struct pollfd pfd = {.fd = helper_sock, .events = POLLIN};
	int trunc;

	if (fd != NULL)
		*fd = -1;
	for (;;) {
		uint64_t t = conf_now_ms();
		int pr;

		if (t >= deadline)
			return -1;
		pr = poll(&pfd, 1, (int)(deadline - t));
		if (pr > 0)
			break;
		if (pr == 0 || errno != EINTR)
			return -1;
	}
	return recv_fd(helper_sock, msg, len, fd, &trunc) == (ssize_t)len && !trunc ? 0 : -1;
}

/* The last request's helper_done, when it was left to read: 0, or -1 when the
 * helper did not send it in time (or sent something else). */
static int
done_collect(void)
{
	struct helper_done done;
	uint64_t t = conf_now_ms();

	if (!done_pending)
		return 0;
	done_pending = false;
	/* Sent long ago, it is read at once; else wait out the last deadline. */
	return recv_msg(&done, sizeof(done), NULL, done_by > t ? done_by : t + 1) < 0 ||
		done.magic != HELPER_MAGIC ? -1 : 0;
}

struct ng_conf *
conf_load_helper(const char *path, unsigned int timeout_ms, char *err, size_t errlen,
	bool *no_helper)
{
	uint64_t deadline = conf_now_ms() + timeout_ms + HELPER_GRACE_MS;
	struct helper_req req = {.magic = HELPER_MAGIC, .timeout_ms = timeout_ms};
	struct helper_started started;
	struct helper_done done;
	struct ng_conf *c;
	int fd = -1, rc, child_errno = 0;
	size_t n;

	*no_helper = true;
	if (helper_pid <= 0 || path == NULL || (n = strlen(path)) >= sizeof(req.path))
		return NULL;
	if (done_collect() < 0) {
		ng_conf_helper_stop();
		return NULL;
	}
	memcpy(req.path, path, n + 1);
	if (send_msg(helper_sock, &req, offsetof(struct helper_req, path) + n + 1, -1) < 0 ||
			recv_msg(&started, sizeof(started), &fd, deadline) < 0 ||
			started.magic != HELPER_MAGIC || (started.err == 0) != (fd >= 0)) {
		if (fd >= 0)
			close(fd);
		ng_conf_helper_stop();
		return NULL;
	}
	*no_helper = false;
	if (started.err != 0) {
		snprintf(err, errlen, "%s: cannot start the check: %s", path,
			strerror(started.err));
		errno = started.err;
		return NULL;
	}
	c = conf_child_get(fd, deadline, err, errlen, &child_errno, &rc);
	close(fd); /* a child still writing gets EPIPE and ends */
	if (c != NULL || rc == -EINVAL) {
		/* The stream is whole: the child's exit status can tell nothing more
		 * (conf_child_run() only _exit(0)s now). Its report waits. */
		done_pending = true;
		done_by = deadline;
		return conf_child_finish(path, c, rc, -1, child_errno, timeout_ms, err, errlen);
	}
	if (recv_msg(&done, sizeof(done), NULL, deadline) < 0 || done.magic != HELPER_MAGIC) {
		ng_conf_helper_stop();
		done.status = -1;
		done.timed_out = rc == -ETIMEDOUT;
	}
	if (done.timed_out && c == NULL && rc != -EINVAL)
		rc = -ETIMEDOUT;
	return conf_child_finish(path, c, rc, done.status, child_errno, timeout_ms, err, errlen);
}
