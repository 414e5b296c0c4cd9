/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI input: the telnet byte parser, line ends, line mode, batch mode, and
 * running an entered line.
 *
 * Bytes go through three layers: telnet (IAC commands, option negotiation,
 * subnegotiation; everything else is data), line ends (CR LF, CR NUL, CR, LF
 * end a line), then either the plain line collector (line and batch modes:
 * no echo, control characters dropped) or the character-mode editor
 * (cli_edit.c: a telnet client that let us echo).
 *
 * Line mode never gets telnet bytes or ANSI escapes from us. A client that
 * speaks first with text is greeted when its first line is complete, so that
 * a first line NG_CLI_BATCH_REQUEST can take batch mode instead: no banner, no
 * prompt, and every line's output followed by NG_CLI_BATCH_END, its status and
 * "\n" (see cli.h).
 */
#include <string.h>

#include "ng_log.h"

#include "cli_priv.h"

bool
cli_char_mode(const struct ng_cli_sess *s)
{
	return s->mode == CLI_MODE_TELNET && s->will_echo.on && s->rdl != NULL;
}

void
cli_prompt(struct ng_cli_sess *s)
{
	if (s->mode == CLI_MODE_BATCH)
		return;
	if (cli_char_mode(s))
		cli_edit_prompt(s);
	else
		cli_out_str(s, NG_CLI_PROMPT);
}

static void
clear_line(struct ng_cli_sess *s)
{
	s->len = 0;
	s->line[0] = '\0';
	s->overflow = false;
}

/* Batch mode: the end of a reply, its status, and "\n". */
static void
batch_end(struct ng_cli_sess *s, int rc)
{
	const char end[3] = {NG_CLI_BATCH_END, rc < 0 ? '1' : '0', '\n'};

	cli_out_raw(s, end, sizeof(end));
}

/*
 * The first line of a client that spoke first with text: greet it, unless
 * the line asks for batch mode. That request is also taken from a client
 * greeted before it spoke (it was slow): it skips what came before the status
 * of its request. @return true when the line was the request.
 */
static bool
first_line(struct ng_cli_sess *s)
{
	if (s->mode != CLI_MODE_LINE || s->nlines > 0)
		return false;
	if (!s->overflow && strcmp(s->line, NG_CLI_BATCH_REQUEST) == 0) {
		s->mode = CLI_MODE_BATCH;
		s->greeted = true;
		s->nlines++;
		NG_LOG(DEBUG, CLI, "session %u: batch mode", s->id);
		clear_line(s);
		batch_end(s, 0);
		return true;
	}
	cli_sess_greet(s, false);
	return false;
}

static void
key_enter(struct ng_cli_sess *s)
{
	char line[NG_CLI_LINE_MAX + 1];
	unsigned int max = cli_char_mode(s) ? NG_CLI_EDIT_MAX : NG_CLI_LINE_MAX;
	uint64_t before;
	int rc;

	if (cli_char_mode(s))
		cli_edit_enter(s);
	if (first_line(s))
		return;
	if (s->budget > 0)
		s->budget--;
	s->nlines++;
	before = s->out_total;
	if (s->overflow) {
		ng_cli_error(s, "line too long (max %u)", max);
		rc = -1;
	} else {
		memcpy(line, s->line, s->len + 1);
		if (cli_char_mode(s))
			cli_hist_add(s, line);
		clear_line(s);
		rc = ng_cli_exec_line(s, line);
	}
	clear_line(s);
	if (s->out_total != before && !s->out_nl)
		cli_out_text(s, "\n", 1); /* the prompt or the status starts a line */
	if (s->mode == CLI_MODE_BATCH)
		batch_end(s, rc);
	else if (!s->closing && !s->dead)
		cli_prompt(s);
}

static void
key_cancel(struct ng_cli_sess *s)
{
	if (cli_char_mode(s)) {
		cli_edit_cancel(s);
	} else if (s->mode != CLI_MODE_BATCH) {
		clear_line(s);
		cli_prompt(s);
	}
}

/* Line and batch modes: collect, no echo; Tab is a space, other control bytes are dropped. */
static void
line_byte(struct ng_cli_sess *s, uint8_t c)
{
	if (c == '\t')
		c = ' ';
	if (c < 0x20 || c == 0x7f)
		return;
	if (s->len >= NG_CLI_LINE_MAX) {
		s->overflow = true;
		return;
	}
	s->line[s->len++] = (char)c;
	s->line[s->len] = '\0';
}

static void
data_byte(struct ng_cli_sess *s, uint8_t c)
{
	s->typed = true;
	if (s->cr) {
		s->cr = false;
		if (c == '\n' || c == '\0')
			return;
	}
	if (c == '\r' || c == '\n') {
		s->cr = c == '\r';
		key_enter(s);
		return;
	}
	if (cli_char_mode(s))
		cli_edit_byte(s, c);
	else
		line_byte(s, c);
}

/* ---- telnet ---- */

static void
tn_send(struct ng_cli_sess *s, uint8_t cmd, uint8_t opt)
{
	const uint8_t b[3] = {TN_IAC, cmd, opt};

	cli_out_raw(s, b, sizeof(b));
}

static bool
bit_test_set(uint8_t *map, uint8_t opt)
{
	bool was = map[opt / 8] & (1u << (opt % 8));

	map[opt / 8] |= (uint8_t)(1u << (opt % 8));
	return was;
}

/*
 * One side of an option we want on (RFC 1143, simplified): agree to a request
 * unless it answers ours, acknowledge a refusal only when it changes state.
 */
static void
tn_opt(struct ng_cli_sess *s, struct cli_tn_opt *o, bool want, uint8_t yes, uint8_t no,
	uint8_t opt)
{
	if (want) {
		if (!o->on && !o->pending)
			tn_send(s, yes, opt);
		o->on = true;
	} else {
		if (o->on && !o->pending)
			tn_send(s, no, opt);
		o->on = false;
	}
	o->pending = false;
}

/* The client let us echo, or took it back: hand the line to or from the editor. */
static void
echo_changed(struct ng_cli_sess *s, bool was_char)
{
	if (!was_char && s->will_echo.on) {
		if (cli_edit_start(s) < 0) {
			NG_LOG(ERR, CLI, "session %u: out of memory for the line editor, closing it",
				s->id);
			s->dead = true;
		}
	} else if (was_char && !s->will_echo.on) {
		cli_edit_stop(s);
	}
}

static void
tn_option(struct ng_cli_sess *s, uint8_t cmd, uint8_t opt)
{
	bool was_char = cli_char_mode(s);

	if (s->mode != CLI_MODE_TELNET)
		return; /* not a telnet client: never answer */
	switch (cmd) {
	case TN_DO:
	case TN_DONT:
		if (opt == TN_OPT_ECHO)
			tn_opt(s, &s->will_echo, cmd == TN_DO, TN_WILL, TN_WONT, opt);
		else if (opt == TN_OPT_SGA)
			tn_opt(s, &s->will_sga, cmd == TN_DO, TN_WILL, TN_WONT, opt);
		else if (cmd == TN_DO && !bit_test_set(s->refused_do, opt))
			tn_send(s, TN_WONT, opt);
		break;
	case TN_WILL:
	case TN_WONT:
		if (opt == TN_OPT_SGA)
			tn_opt(s, &s->do_sga, cmd == TN_WILL, TN_DO, TN_DONT, opt);
		else if (cmd == TN_WILL && !bit_test_set(s->refused_will, opt))
			tn_send(s, TN_DONT, opt);
		break;
	default:
		break;
	}
	echo_changed(s, was_char);
}

/* IAC followed by a command byte. */
static void
tn_command(struct ng_cli_sess *s, uint8_t c)
{
	switch (c) {
	case TN_IAC: /* escaped 0xff data byte */
		data_byte(s, c);
		break;
	case TN_WILL:
	case TN_WONT:
	case TN_DO:
	case TN_DONT:
		s->ts_cmd = c;
		s->ts = TS_OPT;
		break;
	case TN_SB:
		s->ts = TS_SB;
		break;
	case TN_IP: /* interrupt process: as Ctrl-C */
		key_cancel(s);
		break;
	case TN_EC: /* erase character */
	case TN_EL: /* erase line */
		if (cli_char_mode(s))
			cli_edit_erase(s, c == TN_EL);
		else if (c == TN_EL)
			clear_line(s);
		else if (s->len > 0)
			s->line[--s->len] = '\0';
		break;
	default: /* NOP, GA, AYT, DM, BRK, AO, SE out of place: ignored */
		break;
	}
}

static void
tn_byte(struct ng_cli_sess *s, uint8_t c)
{
	switch (s->ts) {
	case TS_DATA:
		if (c == TN_IAC && s->mode != CLI_MODE_BATCH) {
			if (s->mode == CLI_MODE_NEW)
				s->mode = CLI_MODE_TELNET;
			if (s->mode == CLI_MODE_TELNET)
				cli_sess_greet(s, true);
			s->ts = TS_IAC;
			return;
		}
		/* Spoke first with text (a script): greeted at its first line end.
		 * Or answered in text after our negotiation (a person at nc). */
		if (s->mode == CLI_MODE_NEW)
			s->mode = CLI_MODE_LINE;
		data_byte(s, c);
		return;
	case TS_IAC:
		s->ts = TS_DATA;
		tn_command(s, c);
		return;
	case TS_OPT:
		s->ts = TS_DATA;
		tn_option(s, s->ts_cmd, c);
		return;
	case TS_SB: /* subnegotiation data is ignored */
		if (c == TN_IAC)
			s->ts = TS_SB_IAC;
		return;
	case TS_SB_IAC:
		s->ts = c == TN_SE ? TS_DATA : TS_SB;
		return;
	default:
		s->ts = TS_DATA;
		return;
	}
}

/*
 * Line mode fast path: take a run of plain bytes (no control byte, DEL or
 * IAC) at once. @return bytes taken.
 */
static size_t
line_run(struct ng_cli_sess *s, const uint8_t *p, size_t n)
{
	size_t k = 0, room, c;

	while (k < n && p[k] >= 0x20 && p[k] != 0x7f && p[k] != TN_IAC)
		k++;
	if (k == 0)
		return 0;
	s->typed = true;
	if (s->overflow)
		return k;
	room = NG_CLI_LINE_MAX - s->len;
	c = k < room ? k : room;
	memcpy(s->line + s->len, p, c);
	s->len += c;
	s->line[s->len] = '\0';
	if (k > room)
		s->overflow = true;
	return k;
}

size_t
cli_feed(struct ng_cli_sess *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s->closing || s->dead)
			return n; /* quit: the rest is discarded */
		if (s->fd >= 0 && (cli_out_pending(s) > NG_CLI_OUT_PAUSE || s->budget == 0))
			break;
		if (s->ts == TS_DATA && !s->cr && s->mode != CLI_MODE_NEW && !cli_char_mode(s)) {
			size_t k = line_run(s, p + i, n - i);

			if (k > 0) {
				i += k;
				continue;
			}
		}
		tn_byte(s, p[i++]);
	}
	return i;
}

void
cli_eof(struct ng_cli_sess *s)
{
	bool pending = !cli_char_mode(s) && (s->len > 0 || s->overflow);

	if (s->closing || s->dead)
		return;
	cli_sess_quit(s); /* no prompt after the last line */
	if (pending)
		key_enter(s);
	else if (!s->greeted && s->mode == CLI_MODE_LINE)
		cli_sess_greet(s, false);
}
