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

static int helper_sock = -1;
static pid_t helper_pid = -1;

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

/* One request: fork the child, hand its pipe over, reap it, report. */
static int
helper_serve(int sock, const struct helper_req *req, conf_loader_fn load)
{
	struct helper_started started = {.magic = HELPER_MAGIC};
	struct helper_done done = {.magic = HELPER_MAGIC};
	uint64_t deadline = conf_now_ms() + req->timeout_ms;
	int fds[2], rc;
	bool killed;
	pid_t pid = -1;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return send_msg(sock, &(struct helper_started){HELPER_MAGIC, errno}, sizeof(started),
			-1);
	pid = fork();
	if (pid == 0) {
		close(sock);
		close(fds[0]);
		/* Ends with the helper, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		conf_child_run(fds[1], req->path, load);
	}
	started.err = pid < 0 ? errno : 0;
	close(fds[1]);
	rc = send_msg(sock, &started, sizeof(started), pid < 0 ? -1 : fds[0]);
	close(fds[0]);
	if (pid < 0 || rc < 0) {
		if (pid > 0)
			kill(pid, SIGKILL);
		return rc;
	}
	done.status = conf_child_reap(pid, deadline, &killed);
	done.timed_out = killed;
	return send_msg(sock, &done, sizeof(done), -1);
}

static void __attribute__((noreturn))
helper_main(int sock, conf_loader_fn load, pid_t parent, const sigset_t *mask)
{
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
	for (;;) {
		ssize_t n = recv(sock, &req, sizeof(req), 0);
		size_t plen;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= (ssize_t)offsetof(struct helper_req, path) || req.magic != HELPER_MAGIC)
			break; /* end of file: the gateway stopped us, or exited */
		plen = (size_t)n - offsetof(struct helper_req, path);
		if (req.path[plen - 1] != '\0' || helper_serve(sock, &req, load) < 0)
			break;
	}
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
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = msg, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf)};
	struct pollfd pfd = {.fd = helper_sock, .events = POLLIN};
	struct cmsghdr *cm;
	ssize_t n;

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
	do
		n = recvmsg(helper_sock, &mh, MSG_CMSG_CLOEXEC);
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
	return n == (ssize_t)len && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? 0 : -1;
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
	if (recv_msg(&done, sizeof(done), NULL, deadline) < 0 || done.magic != HELPER_MAGIC) {
		ng_conf_helper_stop();
		done.status = -1;
		done.timed_out = rc == -ETIMEDOUT;
	}
	if (done.timed_out && c == NULL && rc != -EINVAL)
		rc = -ETIMEDOUT;
	return conf_child_finish(path, c, rc, done.status, child_errno, timeout_ms, err, errlen);
}
