/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CLI_H
#define NG_CLI_H

/**
 * @file
 * Telnet-style command line server of the control core.
 *
 * Modeled on a router vty (FRR, IOS): commands are declared as data arrays next
 * to their module and registered with ng_cli_register(); every word of a
 * command path may be abbreviated to a unique prefix. The server is
 * single-threaded and never blocks its caller: ng_cli_poll() accepts, reads,
 * runs commands and writes on non-blocking sockets, and waits at most the
 * given time in poll().
 * Telnet clients get character mode (echo, Tab completion, `?` help,
 * history; the editor is DPDK's rdline); plain line-mode clients (nc) get no
 * escape sequences and no echo; batch clients (nodegw-ctl) get each command's
 * output and status, framed, and nothing else. Output lines end in CR LF,
 * except in batch mode (LF).
 *
 * Nobody can lock the operator out: sessions silent for the idle timeout are
 * closed, and a client that finds all sessions taken replaces the session
 * idle longest that has not typed anything (doc/cli.md).
 *
 * Not thread-safe: call everything from one thread (the control core).
 */

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Batch mode. A client whose first line is NG_CLI_BATCH_REQUEST gets no
 * banner, no prompt and no echo; after the output of each line it sends (and
 * after the request itself) the server sends NG_CLI_BATCH_END, then '0' (the
 * line succeeded) or '1' (it failed: the error is in the output), then "\n".
 * Output lines end in "\n" and never hold NG_CLI_BATCH_END. A client greeted
 * before its request arrived skips what precedes the first NG_CLI_BATCH_END.
 */
#define NG_CLI_BATCH_REQUEST "@batch"
/** The byte that ends each reply in batch mode. */
#define NG_CLI_BATCH_END '\0'

/** Default listen address (cli.address). */
#define NG_CLI_ADDR_DEF "127.0.0.1"
/** Default TCP port (cli.port). */
#define NG_CLI_PORT_DEF 8023

/** Default idle timeout, seconds (cli.idle_timeout_s); the largest,
 * NG_CLI_IDLE_TIMEOUT_MAX, is in ng_limits.h. */
#define NG_CLI_IDLE_TIMEOUT_DEF 600

/** One CLI session (a TCP client, or NULL for stdout). Opaque. */
struct ng_cli_sess;

/**
 * Command handler.
 * @param s    the session; print with ng_cli_printf() / ng_cli_error().
 * @param argc number of words after the command path.
 * @param argv the words after the command path (quotes removed), argv[argc] == NULL.
 * @return 0, or -1 when the command failed (the error is already printed).
 */
typedef int (*ng_cli_handler)(struct ng_cli_sess *s, int argc, char **argv);

/** A command, declared as data. The strings must outlive the registration. */
struct ng_cli_cmd {
	/** Words of the command, separated by single spaces: "show services". */
	const char *path;
	/** Argument synopsis for help, e.g. "[NAME|VIP] [json]", or NULL. */
	const char *args;
	/** One line of help. */
	const char *help;
	/** Runs the command. */
	ng_cli_handler handler;
	/**
	 * Optional: candidates for the next argument word (Tab and `?`).
	 * @param argc, argv the argument words before the one being completed.
	 * @return a NULL-terminated array, static or owned by the session, or NULL.
	 */
	const char *const *(*complete)(struct ng_cli_sess *s, int argc, char **argv);
};

/**
 * Register commands. The array is referenced, not copied: declare it static.
 * @param cmds array of commands.
 * @param n    number of entries.
 * @return 0; -EINVAL for a NULL handler or a bad path (empty, more than 8 words,
 *   a word over 32 characters, a '"', '?' or non-printable character in
 *   it); -EEXIST when a path is already registered; -ENOSPC when the
 *   table (1024 commands) is full. On error nothing of the array is registered.
 */
int ng_cli_register(const struct ng_cli_cmd *cmds, unsigned int n);

/**
 * Start listening, and register `show cli`. A non-loopback address logs a
 * warning: the CLI has no authentication.
 * @param addr   IPv4 or IPv6 address literal, e.g. "127.0.0.1".
 * @param port   TCP port; 0 picks a free one (see ng_cli_port()).
 * @param err    buffer for a sentence describing a failure (may be NULL).
 * @param errlen size of err.
 * @return 0, or -EINVAL (bad address), -EALREADY (already listening), or the
 *   -errno of socket()/bind()/listen(), or -ENOSPC (command table full).
 */
int ng_cli_init(const char *addr, uint16_t port, char *err, size_t errlen);

/** Close the listener and every session, and forget all registered commands. */
void ng_cli_fini(void);

/**
 * Serve: accept, read, run commands, write. Never blocks beyond timeout_ms.
 * @param timeout_ms longest wait in poll(); 0 does not wait, -1 is not allowed
 *   (taken as 0).
 * @return number of sockets that had events (0 on timeout or EINTR), or
 *   -EBADF when ng_cli_init() has not succeeded, or another -errno of poll().
 */
int ng_cli_poll(int timeout_ms);

/** Sockets of other modules ng_cli_poll_wake() may wait on as well. */
#define NG_CLI_WAKE_FDS 8

/**
 * ng_cli_poll(), whose wait also ends when one of wake (up to NG_CLI_WAKE_FDS;
 * the Kubernetes watcher's sockets) has an event: the control loop's one wait
 * then never delays what arrives on them. Their events are not counted nor
 * handled here; the caller's module reads them on its next poll.
 */
int ng_cli_poll_wake(int timeout_ms, const struct pollfd *wake, unsigned int n_wake);

/**
 * Print to a session ("\n" becomes "\r\n"). With s == NULL, print to stdout.
 * Output is buffered; a session with more than NG_CLI_OUT_MAX (ng_limits.h) unsent
 * is closed.
 */
void ng_cli_printf(struct ng_cli_sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Print an error line: "% " + message (+ "\n" when the message has none). */
void ng_cli_error(struct ng_cli_sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Handle a trailing "json" argument.
 * @return true, and removes the word (*argc is decremented), when the last
 *   argument is exactly "json"; false otherwise.
 */
bool ng_cli_json(int *argc, char **argv);

/**
 * Run one line, as if typed: split into words, match the command, run it.
 * A line ending in "?" prints help for that prefix instead. Errors are printed
 * to the session.
 * @param s    session, or NULL to print to stdout (start-up scripts, tests).
 * @param line the line, without line end.
 * @return 0 (success, empty line or help), -1 (error printed).
 */
int ng_cli_exec_line(struct ng_cli_sess *s, const char *line);

/**
 * Set the idle timeout: a session that sends nothing for this long is told
 * so and closed. ng_cli_fini() restores the default, NG_CLI_IDLE_TIMEOUT_DEF.
 * @param seconds 0 (no timeout) .. NG_CLI_IDLE_TIMEOUT_MAX.
 * @return 0, or -EINVAL (more than NG_CLI_IDLE_TIMEOUT_MAX).
 */
int ng_cli_set_idle_timeout(uint32_t seconds);

/** @return the idle timeout, seconds (0: none). */
uint32_t ng_cli_idle_timeout(void);

/** @return the bound TCP port, or 0 when not listening. */
uint16_t ng_cli_port(void);

#endif
