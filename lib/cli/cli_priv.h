/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CLI_PRIV_H
#define NG_CLI_PRIV_H

/**
 * @file
 * Internals of the CLI shared by cli.c (server, sessions, output),
 * cli_edit.c (telnet parser, line editor, history) and cli_cmd.c (command
 * table, word splitting, matching, help, completion). Also the test API:
 * a session with fd -1 is an in-memory session whose output accumulates
 * until cli_sess_output_clear().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "ng_limits.h"

#define NG_CLI_LINE_MAX 4096          /**< longest accepted line, bytes */
#define NG_CLI_HIST_MAX 64            /**< history entries per session */
#define NG_CLI_MAX_SESS 128           /**< concurrent sessions */
#define NG_CLI_OUT_PAUSE (64u << 10)  /**< unsent output that pauses reading */
#define NG_CLI_READ_CHUNK 16384       /**< bytes read per session per poll round */
#define NG_CLI_LINES_PER_ROUND 32     /**< lines run per session per poll round */
#define NG_CLI_MAX_ARGS 64            /**< words per line */
#define NG_CLI_PATH_MAX 8             /**< words per command path */
#define NG_CLI_WORD_MAX 32            /**< characters per command path word */
#define NG_CLI_CMDS_MAX 1024          /**< registered commands */
#define NG_CLI_CAND_MAX 256           /**< Tab / ? candidates */
#define NG_CLI_LINGER_MS 2000         /**< drain input after quit, at most */
/**
 * How long a new session waits for the client to speak first. A telnet
 * client opens with IAC, a script piping commands with text: either way the
 * greeting fits it, and a script never sees telnet bytes. A client silent for
 * this long (a person) gets the telnet negotiation.
 */
#define NG_CLI_GREET_MS 150
#define NG_CLI_PROMPT "nodegw> "
#define NG_CLI_BANNER "nodegw CLI; type help or ?"

/* Telnet (RFC 854/857/858). */
#define TN_SE 240
#define TN_NOP 241
#define TN_IP 244
#define TN_EC 247
#define TN_EL 248
#define TN_SB 250
#define TN_WILL 251
#define TN_WONT 252
#define TN_DO 253
#define TN_DONT 254
#define TN_IAC 255
#define TN_OPT_ECHO 1
#define TN_OPT_SGA 3

/** What the client turned out to be. */
enum cli_mode {
	CLI_MODE_NEW,    /**< nothing received yet */
	CLI_MODE_LINE,   /**< first byte was not IAC: plain line mode, no telnet/ANSI output */
	CLI_MODE_TELNET, /**< first byte was IAC: telnet client */
};

enum cli_tn_state { TS_DATA, TS_IAC, TS_OPT, TS_SB, TS_SB_IAC };
enum cli_esc_state { ES_NONE, ES_ESC, ES_CSI };

/** Our side of a telnet option we offered or asked for. */
struct cli_tn_opt {
	bool on;      /**< agreed */
	bool pending; /**< we sent WILL/DO and wait for the answer */
};

struct ng_cli_sess {
	int fd;              /**< socket, or -1 for an in-memory session */
	enum cli_mode mode;
	bool closing;        /**< quit: flush, half-close, drain, close */
	bool shut_wr;        /**< closing: output flushed and write side shut down */
	bool dead;           /**< close at once, output dropped */
	uint64_t deadline;   /**< closing: close at this time (ms) at the latest */
	bool greeted;        /**< banner and prompt sent */
	uint64_t greet_at;   /**< not greeted: negotiate and greet at this time (ms) */

	/* telnet parser */
	uint8_t ts;          /**< enum cli_tn_state */
	uint8_t ts_cmd;      /**< WILL/WONT/DO/DONT waiting for its option byte */
	struct cli_tn_opt will_echo, will_sga, do_sga;
	uint8_t refused_do[32];   /**< options we answered WONT once (bitmap) */
	uint8_t refused_will[32]; /**< options we answered DONT once (bitmap) */
	bool cr;             /**< last data byte was CR (swallow LF/NUL after it) */

	/* ANSI escape parser (character mode) */
	uint8_t es;          /**< enum cli_esc_state */
	uint8_t esc_len;
	char esc_buf[8];

	/* line being edited */
	char line[NG_CLI_LINE_MAX + 1];
	size_t len, pos;     /**< length and cursor */
	bool overflow;       /**< line grew past NG_CLI_LINE_MAX: discard at line end */

	/* history, oldest first */
	char *hist[NG_CLI_HIST_MAX];
	unsigned int nhist;
	int hist_idx;        /**< -1: editing a new line; k: showing hist[nhist-1-k] */
	char *hist_saved;    /**< the new line while browsing history */

	/* output */
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	bool out_cr;         /**< last byte queued was CR */
	bool out_nl;         /**< last byte queued was LF */
	uint64_t out_total;  /**< bytes queued since the start */

	/* input read but not yet fed (paused by unsent output or the line budget) */
	unsigned int budget; /**< lines this session may still run in this round */
	size_t in_off, in_len;
	uint8_t in[NG_CLI_READ_CHUNK];
};

/* ---- cli.c: sessions and output ---- */

/** New session: queues the telnet negotiation, banner and prompt. NULL: ENOMEM. */
struct ng_cli_sess *cli_sess_new(int fd);
/** Free a session (does not close its fd). */
void cli_sess_free(struct ng_cli_sess *s);
/** Start closing the session (quit, exit, Ctrl-D). */
void cli_sess_quit(struct ng_cli_sess *s);
/** Queue bytes as they are (telnet commands). */
void cli_out_raw(struct ng_cli_sess *s, const void *p, size_t n);
/** Queue text: "\n" becomes "\r\n", and 0xff is doubled in telnet mode. */
void cli_out_text(struct ng_cli_sess *s, const char *p, size_t n);
/** cli_out_text() of a C string. */
void cli_out_str(struct ng_cli_sess *s, const char *str);
/** Unsent output, bytes. */
size_t cli_out_pending(const struct ng_cli_sess *s);
/** Test API: the unsent output, NUL-terminated (never NULL). */
const char *cli_sess_output(struct ng_cli_sess *s, size_t *len);
/** Test API: forget the unsent output. */
void cli_sess_output_clear(struct ng_cli_sess *s);
/** Monotonic clock, milliseconds. */
uint64_t cli_now_ms(void);

/**
 * Send the banner and the prompt, preceded by the telnet negotiation when
 * nego is true (the client opened with IAC, or stayed silent).
 */
void cli_sess_greet(struct ng_cli_sess *s, bool nego);

/* ---- cli_edit.c: telnet, line editor, history ---- */

/**
 * Feed received bytes through the telnet parser and the line editor, running
 * complete lines. A socket session (fd >= 0) stops early when it has more
 * than NG_CLI_OUT_PAUSE bytes unsent or has used up its line budget.
 * @return bytes consumed.
 */
size_t cli_feed(struct ng_cli_sess *s, const uint8_t *p, size_t n);
/** The client closed its side: in line mode, run a last unterminated line. */
void cli_eof(struct ng_cli_sess *s);
/** Character mode: the client agreed to let the server echo. */
bool cli_char_mode(const struct ng_cli_sess *s);
/** Queue the prompt. */
void cli_prompt(struct ng_cli_sess *s);
/** Add a line to the history (skips empty lines and repeats of the last one). */
void cli_hist_add(struct ng_cli_sess *s, const char *line);

/* ---- cli_cmd.c: commands ---- */

/** Result of word splitting. */
struct cli_split {
	int argc;
	bool in_quote;   /**< the line ends inside "double quotes" */
	bool in_word;    /**< the line ends inside a word (no whitespace after it) */
};

/**
 * Split a line into words on whitespace, "double quotes" grouping (and removed).
 * @param buf    receives the words; at least strlen(line) + 1 bytes.
 * @param argv   at least maxargs + 1 entries; argv[argc] = NULL.
 * @return 0, or -E2BIG (more than maxargs words; info->argc == maxargs).
 */
int cli_split_line(const char *line, char *buf, char **argv, int maxargs,
	struct cli_split *info);

enum cli_match_status {
	CLI_M_CMD,       /**< a command, arguments from argv + depth */
	CLI_M_PARTIAL,   /**< all words matched path words; candidates remain */
	CLI_M_UNKNOWN,   /**< word argv[depth] matches nothing */
	CLI_M_AMBIGUOUS, /**< word argv[depth] is a prefix of several path words */
};

/** One registered command, its path split into words. */
struct cli_entry {
	const struct ng_cli_cmd *cmd;
	unsigned int nw;
	char w[NG_CLI_PATH_MAX][NG_CLI_WORD_MAX + 1];
};

struct cli_match {
	enum cli_match_status status;
	int depth;                          /**< path words matched */
	const struct cli_entry *ent;        /**< CLI_M_CMD */
	unsigned int ncand;                 /**< commands still possible at depth */
	uint16_t cand[NG_CLI_CMDS_MAX];
};

/** Match words against the command paths (exact beats prefix; unique prefixes). */
void cli_match_words(int argc, char *const *argv, struct cli_match *m);
/**
 * Print the error for an unknown/ambiguous/incomplete match.
 * @param word the word at m->depth (the bad one), NULL for incomplete.
 */
void cli_match_error(struct ng_cli_sess *s, const char *word, const struct cli_match *m);
/** `?`: print what can come next after text (the text before the `?`). */
void cli_help_at(struct ng_cli_sess *s, const char *text);
/**
 * Tab: candidates for the word being typed at the end of text.
 * @param cands receives up to NG_CLI_CAND_MAX sorted, distinct candidates.
 * @param cur   receives the word being completed (quotes removed), in @p buf.
 * @param buf   scratch, at least strlen(text) + 1 bytes.
 * @return number of candidates, or -1 when the words before are in error.
 */
int cli_complete_at(struct ng_cli_sess *s, const char *text, char *buf,
	const char **cands, const char **cur);
/** Print words in columns (Tab listing), each line ending in "\n". */
void cli_print_columns(struct ng_cli_sess *s, const char *const *words, int n);
/** Register help/quit/exit if not done yet. */
void cli_cmds_init(void);
/** Forget all commands (the built-ins come back on the next use). */
void cli_cmds_clear(void);
/** Copy a user token for an error message: non-printables as \xNN, at most 40 chars. */
void cli_quote_token(char *dst, size_t dstlen, const char *tok);

#endif
