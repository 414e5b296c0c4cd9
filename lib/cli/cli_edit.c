/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI input: the telnet byte parser, the line editor and the history.
 *
 * Bytes go through three layers: telnet (IAC commands, option negotiation,
 * subnegotiation; everything else is data), line ends (CR LF, CR NUL, CR, LF
 * end a line), then either the plain line collector (line mode: no echo,
 * control characters dropped) or the character-mode editor (telnet client
 * that let us echo: ANSI escapes for the arrow keys, Tab, `?`, history).
 *
 * Line mode never gets telnet bytes or ANSI escapes from us. Character mode
 * redraws with backspaces and spaces only; Ctrl-L is the one ANSI sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"

#define BEL "\a"

bool
cli_char_mode(const struct ng_cli_sess *s)
{
	return s->mode == CLI_MODE_TELNET && s->will_echo.on;
}

void
cli_prompt(struct ng_cli_sess *s)
{
	cli_out_str(s, NG_CLI_PROMPT);
}

/* ---- history ---- */

void
cli_hist_add(struct ng_cli_sess *s, const char *line)
{
	const char *p = line;
	char *copy;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return;
	if (s->nhist > 0 && strcmp(s->hist[s->nhist - 1], line) == 0)
		return;
	copy = strdup(line);
	if (copy == NULL)
		return;
	if (s->nhist == NG_CLI_HIST_MAX) {
		free(s->hist[0]);
		memmove(&s->hist[0], &s->hist[1], (NG_CLI_HIST_MAX - 1) * sizeof(s->hist[0]));
		s->nhist--;
	}
	s->hist[s->nhist++] = copy;
}

static void
hist_reset(struct ng_cli_sess *s)
{
	s->hist_idx = -1;
	free(s->hist_saved);
	s->hist_saved = NULL;
}

/* ---- character-mode drawing ---- */

static void
out_repeat(struct ng_cli_sess *s, char c, size_t n)
{
	char buf[64];

	memset(buf, c, sizeof(buf));
	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		cli_out_text(s, buf, k);
		n -= k;
	}
}

/*
 * Replace the line with text[0..len) and put the cursor at pos, redrawing with
 * backspaces and spaces from the current cursor position.
 */
static void
set_line(struct ng_cli_sess *s, const char *text, size_t len, size_t pos)
{
	size_t old = s->len;

	if (len > NG_CLI_LINE_MAX)
		len = NG_CLI_LINE_MAX;
	if (pos > len)
		pos = len;
	if (text == s->line && len == old) { /* cursor motion only */
		if (pos < s->pos)
			out_repeat(s, '\b', s->pos - pos);
		else
			cli_out_text(s, s->line + s->pos, pos - s->pos);
		s->pos = pos;
		return;
	}
	out_repeat(s, '\b', s->pos);
	if (text != s->line)
		memmove(s->line, text, len);
	s->len = len;
	s->line[len] = '\0';
	cli_out_text(s, s->line, len);
	if (old > len) {
		out_repeat(s, ' ', old - len);
		out_repeat(s, '\b', old - len);
	}
	out_repeat(s, '\b', len - pos);
	s->pos = pos;
}

/* New line with the prompt and the line being edited, cursor in place. */
static void
redraw(struct ng_cli_sess *s)
{
	cli_prompt(s);
	cli_out_text(s, s->line, s->len);
	out_repeat(s, '\b', s->len - s->pos);
}

static void
insert_text(struct ng_cli_sess *s, const char *t, size_t n)
{
	char tmp[NG_CLI_LINE_MAX + 1];
	size_t len;

	if (s->overflow)
		return;
	if (s->len + n > NG_CLI_LINE_MAX) {
		s->overflow = true;
		return;
	}
	if (s->pos == s->len) {
		memcpy(s->line + s->len, t, n);
		s->len += n;
		s->pos = s->len;
		s->line[s->len] = '\0';
		if (cli_char_mode(s))
			cli_out_text(s, t, n);
		return;
	}
	memcpy(tmp, s->line, s->pos);
	memcpy(tmp + s->pos, t, n);
	memcpy(tmp + s->pos + n, s->line + s->pos, s->len - s->pos);
	len = s->len + n;
	set_line(s, tmp, len, s->pos + n);
}

/* Delete n characters before (back) or at the cursor. */
static void
delete_chars(struct ng_cli_sess *s, size_t n, bool back)
{
	char tmp[NG_CLI_LINE_MAX + 1];
	size_t at;

	if (back) {
		if (n > s->pos)
			n = s->pos;
		at = s->pos - n;
	} else {
		if (n > s->len - s->pos)
			n = s->len - s->pos;
		at = s->pos;
	}
	if (n == 0)
		return;
	if (back && s->pos == s->len && n == 1) {
		s->len--;
		s->pos--;
		s->line[s->len] = '\0';
		cli_out_text(s, "\b \b", 3);
		return;
	}
	memcpy(tmp, s->line, at);
	memcpy(tmp + at, s->line + at + n, s->len - at - n);
	set_line(s, tmp, s->len - n, at);
}

static void
clear_line(struct ng_cli_sess *s)
{
	s->len = s->pos = 0;
	s->line[0] = '\0';
	s->overflow = false;
	s->es = ES_NONE;
	hist_reset(s);
}

/* ---- keys ---- */

static void
key_enter(struct ng_cli_sess *s)
{
	char line[NG_CLI_LINE_MAX + 1];
	uint64_t before;

	if (cli_char_mode(s))
		cli_out_text(s, "\n", 1);
	if (s->overflow) {
		ng_cli_error(s, "line too long (max %u)", NG_CLI_LINE_MAX);
		clear_line(s);
		cli_prompt(s);
		return;
	}
	memcpy(line, s->line, s->len + 1);
	clear_line(s);
	if (s->budget > 0)
		s->budget--;
	cli_hist_add(s, line);
	before = s->out_total;
	ng_cli_exec_line(s, line);
	if (s->out_total != before && !s->out_nl)
		cli_out_text(s, "\n", 1); /* the prompt starts a line */
	if (!s->closing && !s->dead)
		cli_prompt(s);
}

static void
key_cancel(struct ng_cli_sess *s)
{
	if (cli_char_mode(s))
		cli_out_text(s, "^C\n", 3);
	clear_line(s);
	cli_prompt(s);
}

static void
key_hist(struct ng_cli_sess *s, bool up)
{
	const char *t;

	if (up) {
		if (s->hist_idx + 1 >= (int)s->nhist) {
			cli_out_text(s, BEL, 1);
			return;
		}
		if (s->hist_idx < 0) {
			free(s->hist_saved);
			s->hist_saved = strdup(s->line);
		}
		s->hist_idx++;
		t = s->hist[s->nhist - 1 - (unsigned int)s->hist_idx];
	} else {
		if (s->hist_idx < 0) {
			cli_out_text(s, BEL, 1);
			return;
		}
		s->hist_idx--;
		t = s->hist_idx >= 0 ? s->hist[s->nhist - 1 - (unsigned int)s->hist_idx] :
			(s->hist_saved != NULL ? s->hist_saved : "");
	}
	set_line(s, t, strlen(t), strlen(t));
	s->overflow = false;
	if (s->hist_idx < 0) {
		free(s->hist_saved);
		s->hist_saved = NULL;
	}
}

/* Inside "double quotes" at the cursor? */
static bool
cursor_in_quote(const struct ng_cli_sess *s)
{
	bool q = false;

	for (size_t i = 0; i < s->pos; i++)
		if (s->line[i] == '"')
			q = !q;
	return q;
}

static void
key_help(struct ng_cli_sess *s)
{
	char text[NG_CLI_LINE_MAX + 1];

	memcpy(text, s->line, s->pos);
	text[s->pos] = '\0';
	cli_out_text(s, "?\n", 2);
	cli_help_at(s, text);
	redraw(s);
}

static void
key_tab(struct ng_cli_sess *s)
{
	char text[NG_CLI_LINE_MAX + 1];
	char buf[NG_CLI_LINE_MAX + 1];
	const char *cands[NG_CLI_CAND_MAX];
	const char *cur = "";
	size_t curlen, lcp;
	int n;

	/* the raw word being typed must not hold quotes */
	for (size_t i = s->pos; i > 0 && s->line[i - 1] != ' ' && s->line[i - 1] != '\t'; i--) {
		if (s->line[i - 1] == '"') {
			cli_out_text(s, BEL, 1);
			return;
		}
	}
	memcpy(text, s->line, s->pos);
	text[s->pos] = '\0';
	n = cli_complete_at(s, text, buf, cands, &cur);
	if (n <= 0) {
		cli_out_text(s, BEL, 1);
		return;
	}
	curlen = strlen(cur);
	if (n == 1) {
		insert_text(s, cands[0] + curlen, strlen(cands[0]) - curlen);
		insert_text(s, " ", 1);
		return;
	}
	lcp = strlen(cands[0]);
	for (int i = 1; i < n; i++) {
		size_t k = 0;

		while (k < lcp && cands[i][k] == cands[0][k])
			k++;
		lcp = k;
	}
	if (lcp > curlen) {
		insert_text(s, cands[0] + curlen, lcp - curlen);
		return;
	}
	cli_out_text(s, "\n", 1);
	cli_print_columns(s, cands, n);
	redraw(s);
}

static void
kill_word(struct ng_cli_sess *s)
{
	size_t i = s->pos;

	while (i > 0 && s->line[i - 1] == ' ')
		i--;
	while (i > 0 && s->line[i - 1] != ' ')
		i--;
	delete_chars(s, s->pos - i, true);
}

static void
key_csi(struct ng_cli_sess *s, char final)
{
	const char *p = s->esc_buf;

	switch (final) {
	case 'A':
		key_hist(s, true);
		break;
	case 'B':
		key_hist(s, false);
		break;
	case 'C':
		if (s->pos < s->len)
			set_line(s, s->line, s->len, s->pos + 1);
		break;
	case 'D':
		if (s->pos > 0)
			set_line(s, s->line, s->len, s->pos - 1);
		break;
	case 'H':
		set_line(s, s->line, s->len, 0);
		break;
	case 'F':
		set_line(s, s->line, s->len, s->len);
		break;
	case '~':
		if (strcmp(p, "1") == 0 || strcmp(p, "7") == 0)
			set_line(s, s->line, s->len, 0);
		else if (strcmp(p, "4") == 0 || strcmp(p, "8") == 0)
			set_line(s, s->line, s->len, s->len);
		else if (strcmp(p, "3") == 0)
			delete_chars(s, 1, false);
		break;
	default:
		break;
	}
}

/* ESC [ params final, or ESC O final. Anything else after ESC is dropped. */
static void
esc_byte(struct ng_cli_sess *s, uint8_t c)
{
	if (s->es == ES_ESC) {
		if (c == '[' || c == 'O') {
			s->es = ES_CSI;
			s->esc_len = 0;
			s->esc_buf[0] = '\0';
		} else {
			s->es = ES_NONE;
		}
		return;
	}
	if (c >= 0x30 && c <= 0x3f) { /* parameter bytes */
		if (s->esc_len < sizeof(s->esc_buf) - 1) {
			s->esc_buf[s->esc_len++] = (char)c;
			s->esc_buf[s->esc_len] = '\0';
		}
		return;
	}
	if (c >= 0x20 && c <= 0x2f) /* intermediate bytes */
		return;
	s->es = ES_NONE;
	if (c >= 0x40 && c <= 0x7e)
		key_csi(s, (char)c);
}

static void
edit_byte(struct ng_cli_sess *s, uint8_t c)
{
	if (s->es != ES_NONE) {
		esc_byte(s, c);
		return;
	}
	switch (c) {
	case 0x1b:
		s->es = ES_ESC;
		break;
	case 0x01: /* Ctrl-A */
		set_line(s, s->line, s->len, 0);
		break;
	case 0x02: /* Ctrl-B */
		key_csi(s, 'D');
		break;
	case 0x03: /* Ctrl-C */
		key_cancel(s);
		break;
	case 0x04: /* Ctrl-D */
		if (s->len == 0) {
			cli_out_text(s, "\n", 1);
			cli_sess_quit(s);
		} else {
			delete_chars(s, 1, false);
		}
		break;
	case 0x05: /* Ctrl-E */
		set_line(s, s->line, s->len, s->len);
		break;
	case 0x06: /* Ctrl-F */
		key_csi(s, 'C');
		break;
	case 0x08: /* Backspace */
	case 0x7f: /* DEL */
		delete_chars(s, 1, true);
		break;
	case 0x09: /* Tab */
		key_tab(s);
		break;
	case 0x0b: /* Ctrl-K */
		delete_chars(s, s->len - s->pos, false);
		break;
	case 0x0c: /* Ctrl-L */
		cli_out_text(s, "\x1b[H\x1b[2J", 7);
		redraw(s);
		break;
	case 0x0e: /* Ctrl-N */
		key_hist(s, false);
		break;
	case 0x10: /* Ctrl-P */
		key_hist(s, true);
		break;
	case 0x15: /* Ctrl-U */
		set_line(s, "", 0, 0);
		s->overflow = false;
		break;
	case 0x17: /* Ctrl-W */
		kill_word(s);
		break;
	case '?':
		if (!cursor_in_quote(s)) {
			key_help(s);
			break;
		}
		/* fall through */
	default:
		if (c >= 0x20 && c < 0x7f) {
			char ch = (char)c;

			insert_text(s, &ch, 1);
		}
		break;
	}
}

/* Line mode: collect, no echo; Tab is a space, other control bytes are dropped. */
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
	s->pos = s->len;
}

static void
data_byte(struct ng_cli_sess *s, uint8_t c)
{
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
		edit_byte(s, c);
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
	if (!was_char && cli_char_mode(s)) {
		/* switching to character mode: show what was typed so far */
		s->pos = s->len;
		cli_out_text(s, s->line, s->len);
	}
}

static void
tn_byte(struct ng_cli_sess *s, uint8_t c)
{
	switch (s->ts) {
	case TS_DATA:
		if (c == TN_IAC) {
			if (s->mode == CLI_MODE_NEW)
				s->mode = CLI_MODE_TELNET;
			cli_sess_greet(s, true);
			s->ts = TS_IAC;
			return;
		}
		if (s->mode == CLI_MODE_NEW)
			s->mode = CLI_MODE_LINE;
		/* Spoke first with text: a script; or answered after our negotiation. */
		cli_sess_greet(s, false);
		data_byte(s, c);
		return;
	case TS_IAC:
		s->ts = TS_DATA;
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
			if (cli_char_mode(s))
				delete_chars(s, 1, true);
			else if (s->len > 0)
				s->line[--s->len] = '\0';
			s->pos = s->len < s->pos ? s->len : s->pos;
			break;
		case TN_EL: /* erase line */
			if (cli_char_mode(s))
				set_line(s, "", 0, 0);
			else
				clear_line(s);
			break;
		default: /* NOP, GA, AYT, DM, BRK, AO, SE out of place: ignored */
			break;
		}
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
	if (k == 0 || s->overflow)
		return k;
	room = NG_CLI_LINE_MAX - s->len;
	c = k < room ? k : room;
	memcpy(s->line + s->len, p, c);
	s->len += c;
	s->line[s->len] = '\0';
	s->pos = s->len;
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
}
