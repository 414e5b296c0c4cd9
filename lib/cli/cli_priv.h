/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CLI_PRIV_H
#define NG_CLI_PRIV_H

/**
 * @file
 * Internals of the CLI shared by cli.c (server, sessions, output, `show cli`),
 * cli_telnet.c (telnet parser, line ends, line and batch modes, running a
 * line), cli_edit.c (character mode: DPDK's rdline with the keys around it) and
 * cli_cmd.c (command table, word splitting, matching, help, completion). Also
 * the test API: a session with fd -1 is an in-memory session whose output
 * accumulates until cli_sess_output_clear().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "ng_limits.h"

struct rdline;

#define NG_CLI_LINE_MAX 4096          /**< longest accepted line (line and batch modes), bytes */
/**
 * Longest line in character mode: the line buffer of DPDK's rdline
 * (RDLINE_BUF_SIZE in DPDK 22.11, not exported; a unit test checks it).
 */
#define NG_CLI_EDIT_MAX 512
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
 * When the session table is full and every session has typed something, the
 * one idle longest is closed for a new client only if it has been idle this
 * long; else the new client is refused.
 */
#define NG_CLI_EVICT_TYPED_MS (60u * 1000)
/**
 * How long a new session waits for the client to speak first. A telnet
 * client opens with IAC, a script piping commands with text: either way the
 * greeting fits it, and a script never sees telnet bytes. A client silent for
 * this long (a person) gets the telnet negotiation.
 */
#define NG_CLI_GREET_MS 150
#define NG_CLI_PROMPT "nodegw> "
#define NG_CLI_BANNER "nodegw CLI; type help or ?"
/** The first line of a client that asks for batch mode (see cli.h). */
#define NG_CLI_BATCH_HELLO NG_CLI_BATCH_REQUEST

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
	CLI_MODE_BATCH,  /**< first line was NG_CLI_BATCH_REQUEST: no prompt, framed replies */
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
	bool greeted;        /**< banner and prompt sent (batch: the mode was taken) */
	uint64_t greet_at;   /**< not greeted: negotiate and greet at this time (ms) */

	/* for `show cli`, the idle timeout and the choice of a session to close */
	unsigned int id;     /**< number of the session since ng_cli_init(), from 1; 0 in memory */
	uint64_t opened_ms;  /**< accepted at */
	uint64_t active_ms;  /**< last byte received at */
	bool typed;          /**< a data byte came (telnet negotiation does not count) */
	uint64_t nlines;     /**< lines run */
	char peer[64];       /**< client address and port, "" for in-memory sessions */

	/* telnet parser */
	uint8_t ts;          /**< enum cli_tn_state */
	uint8_t ts_cmd;      /**< WILL/WONT/DO/DONT waiting for its option byte */
	struct cli_tn_opt will_echo, will_sga, do_sga;
	uint8_t refused_do[32];   /**< options we answered WONT once (bitmap) */
	uint8_t refused_will[32]; /**< options we answered DONT once (bitmap) */
	bool cr;             /**< last data byte was CR (swallow LF/NUL after it) */

	/*
	 * The line: collected here in line and batch modes; in character mode
	 * rdline edits it and it is copied here when it is entered.
	 */
	char line[NG_CLI_LINE_MAX + 1];
	size_t len;
	bool overflow;       /**< line grew past its limit: discard at line end */

	/* character mode (cli_edit.c) */
	struct rdline *rdl;  /**< DPDK's line editor, from the first switch to character mode */
	uint8_t es;          /**< escape filter: enum cli_esc_state */
	uint8_t esc_len;
	char esc_buf[8];
	bool ed_mute;        /**< drop what rdline writes */
	bool ed_literal;     /**< a `?` fed now is a character, not help */
	bool ed_cancel;      /**< the line rdline hands over now is dropped (Ctrl-C) */
	bool ed_redraw;      /**< Tab or `?` printed a listing: draw prompt and line again */
	bool ed_probe;       /**< the Tab fed now only asks where the cursor is */
	uint32_t ed_wrote;   /**< bytes rdline wrote, to tell whether a key did anything */
	uint16_t ed_cursor;  /**< cursor position the last listing was asked at */
	char ed_ins[NG_CLI_EDIT_MAX + 2]; /**< what Tab inserts, fed once rdline returns */

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
/**
 * Queue text: "\n" becomes "\r\n" (not in batch mode), 0xff is doubled in
 * telnet mode, and NUL is dropped in batch mode.
 */
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

/** Test API: the idle timeout in milliseconds (0: none). */
void cli_set_idle_timeout_ms(uint64_t ms);

/**
 * Send the banner and the prompt, preceded by the telnet negotiation when
 * nego is true (the client opened with IAC, or stayed silent).
 */
void cli_sess_greet(struct ng_cli_sess *s, bool nego);

/* ---- cli_telnet.c: telnet, line ends, line and batch modes ---- */

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
/** Queue the prompt (character mode: a new rdline line; batch mode: nothing). */
void cli_prompt(struct ng_cli_sess *s);

/* ---- cli_edit.c: character mode on DPDK's rdline ---- */

/**
 * Enter character mode: the line typed so far is handed to the editor (and
 * shown). @return 0, or -ENOMEM.
 */
int cli_edit_start(struct ng_cli_sess *s);
/** Leave character mode: the line being edited goes back to s->line. */
void cli_edit_stop(struct ng_cli_sess *s);
/** One data byte in character mode (line ends are not passed). */
void cli_edit_byte(struct ng_cli_sess *s, uint8_t c);
/** Enter: hand the line to s->line (or set s->overflow) and end the rdline line. */
void cli_edit_enter(struct ng_cli_sess *s);
/** Cancel the line (Ctrl-C, telnet IP): "^C", the line is dropped. */
void cli_edit_cancel(struct ng_cli_sess *s);
/** Telnet EC (erase character) or EL (erase line). */
void cli_edit_erase(struct ng_cli_sess *s, bool whole_line);
/** A new line with the prompt. */
void cli_edit_prompt(struct ng_cli_sess *s);
/** Add a line to the history (skips blank lines and repeats of the last one). */
void cli_hist_add(struct ng_cli_sess *s, const char *line);
/** Free the editor. */
void cli_edit_free(struct ng_cli_sess *s);
/** Test API: the line being edited (a copy; valid until the next call). */
const char *cli_edit_line(struct ng_cli_sess *s);
/** Test API: history entry i, 0 the newest; NULL past the oldest. */
const char *cli_hist_item(struct ng_cli_sess *s, unsigned int i);
/** Test API: number of history entries. */
unsigned int cli_hist_count(struct ng_cli_sess *s);

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

/*
 * What the editor asks of the commands, and all it knows of them: Tab and `?`
 * take the text before the cursor.
 */

/** What Tab did. */
enum cli_tab {
	CLI_TAB_NONE,   /**< nothing fits (the editor rings the bell) */
	CLI_TAB_INSERT, /**< insert the text returned */
	CLI_TAB_LISTED, /**< the candidates were printed on lines of their own */
};

/**
 * Tab at the end of text: one candidate completes its word and adds a space,
 * several extend it to their longest common prefix, else they are listed.
 * @param ins    receives the text to insert (CLI_TAB_INSERT).
 * @param inslen size of ins.
 */
enum cli_tab cli_tab(struct ng_cli_sess *s, const char *text, char *ins, size_t inslen);
/** A `?` typed after text asks for help (false: it is inside "double quotes", a character). */
bool cli_help_asked(const char *text);
/** Register help/quit/exit if not done yet. */
void cli_cmds_init(void);
/** Forget all commands (the built-ins come back on the next use). */
void cli_cmds_clear(void);
/** Copy a user token for an error message: non-printables as \xNN, at most 40 chars. */
void cli_quote_token(char *dst, size_t dstlen, const char *tok);

#endif
