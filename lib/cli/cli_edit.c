/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Character mode: DPDK's rdline (cmdline_rdline.h) edits the line, draws it,
 * keeps the history and reads the keys it knows; this file feeds it and does
 * what it cannot:
 *
 * - escape sequences: rdline knows ESC [ A..D, ESC [ 3 ~ and a few ESC
 *   letters, and inserts the last byte of any other sequence. A filter here
 *   maps Home/End (ESC [ H/F, ESC [ 1/4/7/8 ~, ESC O H/F) to Ctrl-A/Ctrl-E and
 *   ESC O A..D to ESC [ A..D, and drops the rest;
 * - Ctrl-U (kill the line), Ctrl-C ("^C", line dropped, history untouched),
 *   Ctrl-L (rdline 22.11 redraws without clearing the screen), the bell where
 *   a key does nothing, and the line length limit (rdline drops what does not
 *   fit in its 512-byte buffer: the line is then refused at Enter);
 * - Tab and `?`: rdline's complete callback hands the text before the cursor
 *   to cli_tab() and cli_help_at() (cli_cmd.c), which know the commands.
 *
 * Everything rdline writes goes through the session's output (cli_out_text),
 * so telnet's 0xff doubling and the CR LF rule hold. One rdline per session
 * (about 10 KB, DPDK's rdline_new()), freed with the session.
 */
#include <errno.h>
#include <string.h>

#include <cmdline_rdline.h>

#include "cli_priv.h"

#define BEL "\a"
#define KEY_CTRL(c) ((uint8_t)((c) & 0x1f))

/* ---- rdline's callbacks ---- */

static int
ed_write(struct rdline *rdl, char c)
{
	struct ng_cli_sess *s = rdline_get_opaque(rdl);

	s->ed_wrote++;
	if (!s->ed_mute)
		cli_out_text(s, &c, 1);
	return 0;
}

/* Enter: rdline hands over the line with "\n" appended. */
static void
ed_validate(struct rdline *rdl, const char *buf, unsigned int size)
{
	struct ng_cli_sess *s = rdline_get_opaque(rdl);
	size_t n = strnlen(buf, size);

	if (s->ed_cancel)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n > NG_CLI_EDIT_MAX)
		n = NG_CLI_EDIT_MAX;
	memcpy(s->line, buf, n);
	s->line[n] = '\0';
	s->len = n;
}

/*
 * Tab (*state 0) and `?` (*state -1), with buf the text before the cursor.
 * Listings and help are printed here and the line drawn again once rdline
 * returns; what Tab inserts is fed as keys once rdline returns, so that it is
 * echoed and counted like typing. A `?` inside quotes is returned to rdline
 * as the text to insert.
 */
static int
ed_complete(struct rdline *rdl, const char *buf, char *dst, unsigned int dstsize, int *state)
{
	struct ng_cli_sess *s = rdline_get_opaque(rdl);
	size_t at = strlen(buf);

	if (s->ed_probe) { /* ed_cursor_probe() */
		s->ed_cursor = (uint16_t)at;
		return 0;
	}
	if (*state == -1 && (s->ed_literal || !cli_help_asked(buf))) {
		if (strlen(rdline_get_buffer(rdl)) > NG_CLI_EDIT_MAX) { /* full ("\n" added) */
			s->overflow = true;
			return 0;
		}
		snprintf(dst, dstsize, "?");
		return RDLINE_RES_COMPLETE;
	}
	s->ed_cursor = (uint16_t)at;
	if (*state == -1) {
		cli_out_text(s, "?\n", 2);
		cli_help_at(s, buf);
		s->ed_redraw = true;
		return 0;
	}
	switch (cli_tab(s, buf, s->ed_ins, sizeof(s->ed_ins))) {
	case CLI_TAB_INSERT:
		break;
	case CLI_TAB_LISTED:
		s->ed_ins[0] = '\0';
		s->ed_redraw = true;
		break;
	case CLI_TAB_NONE:
	default:
		s->ed_ins[0] = '\0';
		cli_out_text(s, BEL, 1);
		break;
	}
	return 0;
}

/* ---- feeding rdline ---- */

/* The line as rdline holds it, and the cursor position. */
static size_t
ed_line(struct ng_cli_sess *s, char *out, size_t cap)
{
	const char *b = rdline_get_buffer(s->rdl);
	size_t n = strcspn(b, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, b, n);
	out[n] = '\0';
	return n;
}

/* Prompt, the line, the cursor put back: after a listing, or Ctrl-L. */
static void
ed_redraw(struct ng_cli_sess *s)
{
	char line[NG_CLI_EDIT_MAX + 2];
	size_t n = ed_line(s, line, sizeof(line));
	size_t cur = s->ed_cursor < n ? s->ed_cursor : n;

	cli_out_str(s, NG_CLI_PROMPT);
	cli_out_text(s, line, n);
	for (size_t i = cur; i < n; i++)
		cli_out_text(s, "\b", 1);
}

static void ed_insert(struct ng_cli_sess *s, const char *text);

/* Where the cursor is: rdline says so only to its complete callback, on Tab. */
static void
ed_cursor_probe(struct ng_cli_sess *s)
{
	s->ed_probe = true;
	rdline_char_in(s->rdl, '\t');
	s->ed_probe = false;
}

/* One byte to rdline, then what its callbacks left to do. @return rdline's result. */
static int
ed_key(struct ng_cli_sess *s, uint8_t c)
{
	int r = rdline_char_in(s->rdl, (char)c);

	if (r == RDLINE_RES_COMPLETE) {
		if (s->ed_redraw) {
			s->ed_redraw = false;
			ed_redraw(s);
		} else if (s->ed_ins[0] != '\0') {
			char ins[sizeof(s->ed_ins)];

			memcpy(ins, s->ed_ins, sizeof(ins));
			s->ed_ins[0] = '\0';
			ed_insert(s, ins);
		}
	}
	return r;
}

/* Type text (printable): what does not fit marks the line too long. */
static void
ed_insert(struct ng_cli_sess *s, const char *text)
{
	s->ed_literal = true;
	for (; *text != '\0' && !s->overflow; text++) {
		uint32_t before = s->ed_wrote;

		if (*text < 0x20 || *text >= 0x7f)
			continue; /* only printable ASCII is typed */
		ed_key(s, (uint8_t)*text);
		if (s->ed_wrote == before)
			s->overflow = true; /* rdline's buffer is full */
	}
	s->ed_literal = false;
}

/* Keys rdline understands as they are (its cmdline_vt100 table). */
static bool
rdline_key(uint8_t c)
{
	switch (c) {
	case KEY_CTRL('A'): case KEY_CTRL('B'): case KEY_CTRL('D'): case KEY_CTRL('E'):
	case KEY_CTRL('F'): case KEY_CTRL('H'): case KEY_CTRL('K'): case KEY_CTRL('N'):
	case KEY_CTRL('P'): case KEY_CTRL('W'): case KEY_CTRL('Y'): case '\t': case 0x7f:
		return true;
	default:
		return c >= 0x20 && c < 0x7f;
	}
}

/* A history key: recalls a line (which is then not too long), or rings the bell. */
static void
ed_hist_key(struct ng_cli_sess *s, const char *keys)
{
	uint32_t before = s->ed_wrote;

	while (*keys != '\0')
		ed_key(s, (uint8_t)*keys++);
	if (s->ed_wrote == before)
		cli_out_text(s, BEL, 1);
	else
		s->overflow = false;
}

/* Drop the line without drawing (Ctrl-A, Ctrl-K muted); the kill buffer keeps it. */
static void
ed_kill_line(struct ng_cli_sess *s, bool show)
{
	s->ed_mute = !show;
	ed_key(s, KEY_CTRL('A'));
	ed_key(s, KEY_CTRL('K'));
	s->ed_mute = false;
	s->overflow = false;
}

/* ---- the escape filter ---- */

static void
ed_csi(struct ng_cli_sess *s, char final)
{
	static const char *const arrows[] = {"\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D"};
	const char *p = s->esc_buf;

	switch (final) {
	case 'A':
	case 'B':
		ed_hist_key(s, arrows[final - 'A']);
		break;
	case 'C':
	case 'D':
		for (const char *k = arrows[final - 'A']; *k != '\0'; k++)
			ed_key(s, (uint8_t)*k);
		break;
	case 'H':
		ed_key(s, KEY_CTRL('A'));
		break;
	case 'F':
		ed_key(s, KEY_CTRL('E'));
		break;
	case '~':
		if (strcmp(p, "1") == 0 || strcmp(p, "7") == 0)
			ed_key(s, KEY_CTRL('A'));
		else if (strcmp(p, "4") == 0 || strcmp(p, "8") == 0)
			ed_key(s, KEY_CTRL('E'));
		else if (strcmp(p, "3") == 0)
			for (const char *k = "\x1b[3~"; *k != '\0'; k++)
				ed_key(s, (uint8_t)*k);
		break;
	default:
		break;
	}
}

/*
 * ESC [ params final, or ESC O final; ESC b/f/d/DEL (word keys) go to rdline.
 * Anything else after ESC is dropped.
 */
static void
ed_esc(struct ng_cli_sess *s, uint8_t c)
{
	if (s->es == ES_ESC) {
		s->es = ES_NONE;
		if (c == '[' || c == 'O') {
			s->es = ES_CSI;
			s->esc_len = 0;
			s->esc_buf[0] = '\0';
		} else if (c == 'b' || c == 'f' || c == 'd' || c == 0x7f) {
			ed_key(s, 0x1b);
			ed_key(s, c);
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
		ed_csi(s, (char)c);
}

/* ---- the interface of cli_priv.h ---- */

void
cli_edit_byte(struct ng_cli_sess *s, uint8_t c)
{
	uint32_t before;
	int r;

	if (s->es != ES_NONE) {
		ed_esc(s, c);
		return;
	}
	switch (c) {
	case 0x1b:
		s->es = ES_ESC;
		return;
	case KEY_CTRL('C'):
		cli_edit_cancel(s);
		return;
	case KEY_CTRL('L'):
		ed_cursor_probe(s);
		cli_out_str(s, "\x1b[H\x1b[2J");
		ed_redraw(s);
		return;
	case KEY_CTRL('U'):
		ed_kill_line(s, true);
		return;
	case KEY_CTRL('P'):
	case KEY_CTRL('N'):
		ed_hist_key(s, (const char[]){(char)c, '\0'});
		return;
	default:
		break;
	}
	if (!rdline_key(c))
		return; /* other control bytes, 8-bit bytes */
	if (s->overflow && c >= 0x20 && c < 0x7f && c != '?')
		return; /* too long already: discarded at Enter */
	before = s->ed_wrote;
	r = ed_key(s, c);
	if (r == RDLINE_RES_EOF) { /* Ctrl-D on an empty line */
		cli_out_text(s, "\n", 1);
		cli_sess_quit(s);
	} else if (c >= 0x20 && c < 0x7f && c != '?' && s->ed_wrote == before) {
		s->overflow = true; /* rdline's buffer is full: nothing echoed */
	}
}

void
cli_edit_enter(struct ng_cli_sess *s)
{
	s->es = ES_NONE;
	ed_key(s, '\r'); /* rdline writes the line end and calls ed_validate() */
}

void
cli_edit_cancel(struct ng_cli_sess *s)
{
	cli_out_text(s, "^C", 2);
	ed_kill_line(s, false);
	s->ed_cancel = true;
	ed_key(s, '\r'); /* ends the line, and any history browsing, the way Enter does */
	s->ed_cancel = false;
	s->len = 0;
	s->line[0] = '\0';
	s->es = ES_NONE;
	cli_edit_prompt(s);
}

void
cli_edit_erase(struct ng_cli_sess *s, bool whole_line)
{
	if (whole_line)
		ed_kill_line(s, true);
	else
		ed_key(s, 0x7f);
}

void
cli_edit_prompt(struct ng_cli_sess *s)
{
	rdline_newline(s->rdl, NG_CLI_PROMPT);
}

int
cli_edit_start(struct ng_cli_sess *s)
{
	char line[NG_CLI_LINE_MAX + 1];
	bool overflow = s->overflow;

	if (s->rdl == NULL) {
		s->rdl = rdline_new(ed_write, ed_validate, ed_complete, s);
		if (s->rdl == NULL)
			return -ENOMEM;
	}
	/* the prompt is on the screen already */
	s->ed_mute = true;
	rdline_newline(s->rdl, NG_CLI_PROMPT);
	s->ed_mute = false;
	s->es = ES_NONE;
	memcpy(line, s->line, s->len + 1);
	s->len = 0;
	s->line[0] = '\0';
	s->overflow = false;
	ed_insert(s, line); /* and the line typed so far is shown */
	s->overflow = s->overflow || overflow;
	return 0;
}

void
cli_edit_stop(struct ng_cli_sess *s)
{
	if (s->rdl == NULL)
		return;
	s->len = ed_line(s, s->line, sizeof(s->line));
	rdline_stop(s->rdl);
}

void
cli_hist_add(struct ng_cli_sess *s, const char *line)
{
	const char *last;

	if (s->rdl == NULL || line[strspn(line, " \t")] == '\0')
		return;
	last = rdline_get_history_item(s->rdl, 0);
	if (last != NULL && strcmp(last, line) == 0)
		return;
	rdline_add_history(s->rdl, line); /* the oldest lines make room */
}

void
cli_edit_free(struct ng_cli_sess *s)
{
	rdline_free(s->rdl);
	s->rdl = NULL;
}

const char *
cli_edit_line(struct ng_cli_sess *s)
{
	static char copy[NG_CLI_EDIT_MAX + 2];

	if (s->rdl == NULL || !cli_char_mode(s))
		return s->line;
	ed_line(s, copy, sizeof(copy));
	return copy;
}

const char *
cli_hist_item(struct ng_cli_sess *s, unsigned int i)
{
	return s->rdl != NULL ? rdline_get_history_item(s->rdl, i) : NULL;
}

unsigned int
cli_hist_count(struct ng_cli_sess *s)
{
	unsigned int n = 0;

	while (cli_hist_item(s, n) != NULL)
		n++;
	return n;
}
