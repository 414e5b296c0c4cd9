/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI commands: the command table, word splitting, matching, running a line,
 * `?` help, Tab candidates and the built-in commands (help, quit, exit).
 *
 * Matching walks the words of a line against the path words of the commands
 * still possible: an exact word wins, else a prefix of exactly one distinct
 * path word, else several is ambiguous (except a word and its plural: the plural
 * wins, so "sh serv" is "show services"). A word that matches no path word
 * where a command's path ends starts that command's arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"

static struct cli_entry tab[NG_CLI_CMDS_MAX];
static unsigned int ntab;
static bool builtins_done;

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool
is_prefix(const char *pre, const char *word)
{
	return strncmp(pre, word, strlen(pre)) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort and drop repeats. @return the new count. */
static int
sort_unique(const char **v, int n)
{
	int k = 0;

	if (n <= 1)
		return n;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_str);
	for (int i = 1; i < n; i++)
		if (strcmp(v[i], v[k]) != 0)
			v[++k] = v[i];
	return k + 1;
}

void
cli_quote_token(char *dst, size_t dstlen, const char *tok)
{
	size_t o = 0;
	int i;

	if (dstlen == 0)
		return;
	for (i = 0; tok[i] != '\0' && i < 40; i++) {
		unsigned char c = (unsigned char)tok[i];
		char esc[5];
		const char *add = esc;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			esc[0] = (char)c;
			esc[1] = '\0';
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		}
		if (o + strlen(add) + 1 > dstlen)
			break;
		memcpy(dst + o, add, strlen(add));
		o += strlen(add);
	}
	if (tok[i] != '\0' && o + 4 <= dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* ---- the table ---- */

static int
parse_path(const struct ng_cli_cmd *cmd, struct cli_entry *e)
{
	const char *p = cmd->path;

	if (p == NULL || cmd->handler == NULL)
		return -EINVAL;
	e->cmd = cmd;
	e->nw = 0;
	while (*p != '\0') {
		size_t n = 0;

		if (e->nw == NG_CLI_PATH_MAX)
			return -EINVAL;
		while (p[n] != '\0' && p[n] != ' ') {
			unsigned char c = (unsigned char)p[n];

			if (c <= 0x20 || c >= 0x7f || c == '"' || c == '?' || n == NG_CLI_WORD_MAX)
				return -EINVAL;
			e->w[e->nw][n] = (char)c;
			n++;
		}
		if (n == 0)
			return -EINVAL; /* leading, trailing or double space */
		e->w[e->nw++][n] = '\0';
		p += n;
		if (*p == ' ' && *++p == '\0')
			return -EINVAL;
	}
	return e->nw > 0 ? 0 : -EINVAL;
}

static int
add_cmds(const struct ng_cli_cmd *cmds, unsigned int n)
{
	if (n == 0)
		return 0;
	if (cmds == NULL)
		return -EINVAL;
	if (n > NG_CLI_CMDS_MAX - ntab)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++) {
		int rc = parse_path(&cmds[i], &tab[ntab + i]);

		if (rc < 0)
			return rc;
		for (unsigned int j = 0; j < ntab + i; j++)
			if (strcmp(tab[j].cmd->path, cmds[i].path) == 0)
				return -EEXIST;
	}
	ntab += n;
	return 0;
}

int
ng_cli_register(const struct ng_cli_cmd *cmds, unsigned int n)
{
	cli_cmds_init();
	return add_cmds(cmds, n);
}

void
cli_cmds_clear(void)
{
	ntab = 0;
	builtins_done = false;
}

/* ---- splitting ---- */

int
cli_split_line(const char *line, char *buf, char **argv, int maxargs, struct cli_split *info)
{
	bool inq = false, inword = false;
	char *o = buf;
	int argc = 0;
	int rc = 0;

	for (const char *p = line; *p != '\0'; p++) {
		if (!inq && is_space(*p)) {
			if (inword)
				*o++ = '\0';
			inword = false;
			continue;
		}
		if (!inword) {
			if (argc == maxargs) {
				rc = -E2BIG;
				break;
			}
			argv[argc++] = o;
			inword = true;
		}
		if (*p == '"')
			inq = !inq;
		else
			*o++ = *p;
	}
	if (inword)
		*o = '\0';
	argv[argc] = NULL;
	info->argc = argc;
	info->in_quote = inq;
	info->in_word = inword && rc == 0;
	return rc;
}

/* ---- matching ---- */

void
cli_match_words(int argc, char *const *argv, struct cli_match *m)
{
	m->ent = NULL;
	m->ncand = ntab;
	for (unsigned int i = 0; i < ntab; i++)
		m->cand[i] = (uint16_t)i;
	for (int d = 0; d < argc; d++) {
		const char *w = argv[d];
		const char *pick = NULL;
		bool amb = false;
		unsigned int k = 0;

		m->depth = d;
		for (unsigned int i = 0; i < m->ncand && w[0] != '\0'; i++) {
			const struct cli_entry *e = &tab[m->cand[i]];

			if (e->nw <= (unsigned int)d)
				continue;
			if (strcmp(e->w[d], w) == 0) {
				pick = e->w[d];
				amb = false;
				break;
			}
			if (is_prefix(w, e->w[d])) {
				if (pick == NULL)
					pick = e->w[d];
				else if (strcmp(pick, e->w[d]) != 0)
					amb = true;
			}
		}
		if (amb && w[0] != '\0') {
			/* A prefix of both a word and its plural ("serv": service, services)
			 * means the plural, the listing command. */
			const char *sing = NULL, *plur = NULL;
			bool other = false;

			for (unsigned int i = 0; i < m->ncand; i++) {
				const char *cw = tab[m->cand[i]].nw > (unsigned int)d ?
						tab[m->cand[i]].w[d] : NULL;
				size_t l;

				if (cw == NULL || !is_prefix(w, cw))
					continue;
				l = strlen(cw);
				if (l > 1 && cw[l - 1] == 's' && (plur == NULL || strcmp(plur, cw) == 0))
					plur = cw;
				else if (sing == NULL || strcmp(sing, cw) == 0)
					sing = cw;
				else
					other = true;
			}
			if (!other && sing != NULL && plur != NULL && strlen(plur) == strlen(sing) + 1 &&
					strncmp(sing, plur, strlen(sing)) == 0) {
				pick = plur;
				amb = false;
			}
		}
		if (amb) {
			m->status = CLI_M_AMBIGUOUS;
			return;
		}
		if (pick == NULL) {
			for (unsigned int i = 0; i < m->ncand; i++) {
				if (tab[m->cand[i]].nw == (unsigned int)d) {
					m->ent = &tab[m->cand[i]];
					m->status = CLI_M_CMD;
					return;
				}
			}
			m->status = CLI_M_UNKNOWN;
			return;
		}
		for (unsigned int i = 0; i < m->ncand; i++) {
			const struct cli_entry *e = &tab[m->cand[i]];

			if (e->nw > (unsigned int)d && strcmp(e->w[d], pick) == 0)
				m->cand[k++] = m->cand[i];
		}
		m->ncand = k;
	}
	m->depth = argc;
	m->status = CLI_M_PARTIAL;
}

/* The candidate whose path ends at the match depth, if any. */
static const struct cli_entry *
match_ender(const struct cli_match *m)
{
	for (unsigned int i = 0; i < m->ncand; i++)
		if (tab[m->cand[i]].nw == (unsigned int)m->depth)
			return &tab[m->cand[i]];
	return NULL;
}

/* The path words matched so far, "show services". */
static void
matched_path(const struct cli_match *m, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (m->ncand == 0)
		return;
	for (int i = 0; i < m->depth; i++) {
		int r = snprintf(buf + o, len - o, "%s%s", i ? " " : "", tab[m->cand[0]].w[i]);

		if (r < 0 || (size_t)r >= len - o)
			return;
		o += (size_t)r;
	}
}

/* Distinct next path words at the match depth that start with pre. */
static int
next_words(const struct cli_match *m, const char *pre, const char **out, int max)
{
	int n = 0;

	for (unsigned int i = 0; i < m->ncand && n < max; i++) {
		const struct cli_entry *e = &tab[m->cand[i]];
		int k;

		if (e->nw <= (unsigned int)m->depth || !is_prefix(pre, e->w[m->depth]))
			continue;
		for (k = n - 1; k >= 0; k--) /* commands sharing a word are often adjacent */
			if (strcmp(out[k], e->w[m->depth]) == 0)
				break;
		if (k < 0)
			out[n++] = e->w[m->depth];
	}
	return sort_unique(out, n);
}

void
cli_match_error(struct ng_cli_sess *s, const char *word, const struct cli_match *m)
{
	char path[NG_CLI_PATH_MAX * (NG_CLI_WORD_MAX + 1) + 1];
	char tok[200];
	const char *words[NG_CLI_CAND_MAX];
	const char *sep = m->depth > 0 ? " " : "";
	int n;

	matched_path(m, path, sizeof(path));
	if (word != NULL)
		cli_quote_token(tok, sizeof(tok), word);
	else
		tok[0] = '\0';
	switch (m->status) {
	case CLI_M_UNKNOWN:
		if (m->depth == 0)
			ng_cli_error(s, "unknown command \"%s\"; try help", tok);
		else
			ng_cli_error(s, "unknown command \"%s %s\"; try \"%s ?\"", path, tok, path);
		break;
	case CLI_M_AMBIGUOUS:
		n = next_words(m, word != NULL ? word : "", words, NG_CLI_CAND_MAX);
		ng_cli_printf(s, "%% ambiguous command \"%s%s%s\": ", path, sep, tok);
		for (int i = 0; i < n; i++)
			ng_cli_printf(s, "%s%s", i ? ", " : "", words[i]);
		ng_cli_printf(s, "\n");
		break;
	case CLI_M_PARTIAL:
		ng_cli_error(s, "incomplete command \"%s\"; try \"%s ?\"", path, path);
		break;
	case CLI_M_CMD:
	default:
		break;
	}
}

/* ---- running a line ---- */

static bool
quote_open(const char *line, size_t upto)
{
	bool q = false;

	for (size_t i = 0; i < upto; i++)
		if (line[i] == '"')
			q = !q;
	return q;
}

static int
exec_words(struct ng_cli_sess *s, int argc, char **argv)
{
	struct cli_match m;
	const struct cli_entry *e;

	cli_match_words(argc, argv, &m);
	if (m.status == CLI_M_CMD)
		e = m.ent;
	else if (m.status == CLI_M_PARTIAL)
		e = match_ender(&m);
	else
		e = NULL;
	if (e == NULL) {
		cli_match_error(s, m.depth < argc ? argv[m.depth] : NULL, &m);
		return -1;
	}
	return e->cmd->handler(s, argc - m.depth, argv + m.depth) < 0 ? -1 : 0;
}

int
ng_cli_exec_line(struct ng_cli_sess *s, const char *line)
{
	char small[NG_CLI_LINE_MAX + 1];
	char *argv[NG_CLI_MAX_ARGS + 1];
	struct cli_split info;
	char *buf = small;
	size_t len, end;
	int rc;

	cli_cmds_init();
	if (line == NULL)
		return 0;
	len = strlen(line);
	if (len >= sizeof(small)) {
		buf = malloc(len + 1);
		if (buf == NULL) {
			ng_cli_error(s, "out of memory");
			return -1;
		}
	}
	end = len;
	while (end > 0 && is_space(line[end - 1]))
		end--;
	if (end > 0 && line[end - 1] == '?' && !quote_open(line, end - 1)) {
		memcpy(buf, line, end - 1);
		buf[end - 1] = '\0';
		cli_help_at(s, buf);
		rc = 0;
	} else if (cli_split_line(line, buf, argv, NG_CLI_MAX_ARGS, &info) < 0) {
		ng_cli_error(s, "too many words (max %d)", NG_CLI_MAX_ARGS);
		rc = -1;
	} else if (info.in_quote) {
		ng_cli_error(s, "unterminated quote in \"%s\"", info.argc > 0 ? argv[0] : "");
		rc = -1;
	} else if (info.argc == 0) {
		rc = 0;
	} else {
		rc = exec_words(s, info.argc, argv);
	}
	if (buf != small)
		free(buf);
	return rc;
}

bool
ng_cli_json(int *argc, char **argv)
{
	if (argc == NULL || argv == NULL || *argc <= 0 || argv[*argc - 1] == NULL ||
		strcmp(argv[*argc - 1], "json") != 0)
		return false;
	(*argc)--;
	argv[*argc] = NULL;
	return true;
}

/* ---- `?` and Tab ---- */

struct help_item {
	const char *name;
	const char *help;
	char buf[32];
};

static void
print_items(struct ng_cli_sess *s, const struct help_item *it, int n)
{
	int width = 0;

	for (int i = 0; i < n; i++) {
		int l = (int)strlen(it[i].name);

		if (l > width)
			width = l;
	}
	if (width > 36)
		width = 36;
	for (int i = 0; i < n; i++) {
		if (it[i].help[0] == '\0')
			ng_cli_printf(s, "  %s\n", it[i].name);
		else
			ng_cli_printf(s, "  %-*s  %s\n", width, it[i].name, it[i].help);
	}
}

/* Argument candidates of a command: complete() results starting with pre. */
static int
arg_words(struct ng_cli_sess *s, const struct cli_entry *e, int argc, char **argv,
	const char *pre, const char **out, int max)
{
	const char *const *v;
	int n = 0;

	if (e->cmd->complete == NULL)
		return 0;
	v = e->cmd->complete(s, argc, argv);
	for (int i = 0; v != NULL && v[i] != NULL && n < max; i++)
		if (is_prefix(pre, v[i]))
			out[n++] = v[i];
	return n;
}

/* Command usage: full path and argument synopsis. */
static void
usage(const struct cli_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", e->cmd->path, e->cmd->args ? " " : "",
		e->cmd->args ? e->cmd->args : "");
}

/* Count the commands below path word w at the match depth. */
static int
count_below(const struct cli_match *m, const char *w, const struct cli_entry **exact)
{
	int n = 0;

	*exact = NULL;
	for (unsigned int i = 0; i < m->ncand; i++) {
		const struct cli_entry *e = &tab[m->cand[i]];

		if (e->nw <= (unsigned int)m->depth || strcmp(e->w[m->depth], w) != 0)
			continue;
		n++;
		if (e->nw == (unsigned int)m->depth + 1)
			*exact = e;
	}
	return n;
}

void
cli_help_at(struct ng_cli_sess *s, const char *text)
{
	static struct help_item items[NG_CLI_CAND_MAX + 2];
	const char *words[NG_CLI_CAND_MAX];
	char *argv[NG_CLI_MAX_ARGS + 1];
	char use[NG_CLI_PATH_MAX * (NG_CLI_WORD_MAX + 1) + 256];
	struct cli_split info;
	struct cli_match m;
	const struct cli_entry *e = NULL;
	const char *cur;
	char *buf;
	int nfull, n = 0, nw = 0;

	cli_cmds_init();
	buf = malloc(strlen(text) + 1);
	if (buf == NULL)
		return;
	if (cli_split_line(text, buf, argv, NG_CLI_MAX_ARGS, &info) < 0) {
		ng_cli_error(s, "too many words (max %d)", NG_CLI_MAX_ARGS);
		goto out;
	}
	nfull = info.in_word ? info.argc - 1 : info.argc;
	cur = info.in_word ? argv[info.argc - 1] : "";
	cli_match_words(nfull, argv, &m);
	if (m.status == CLI_M_UNKNOWN || m.status == CLI_M_AMBIGUOUS) {
		cli_match_error(s, argv[m.depth], &m);
		goto out;
	}
	if (m.status == CLI_M_PARTIAL) {
		nw = next_words(&m, cur, words, NG_CLI_CAND_MAX);
		for (int i = 0; i < nw; i++) {
			const struct cli_entry *x;
			int below = count_below(&m, words[i], &x);

			items[n].name = words[i];
			if (x != NULL && below == 1) {
				items[n].help = x->cmd->help ? x->cmd->help : "";
			} else {
				snprintf(items[n].buf, sizeof(items[n].buf), "(%d command%s)",
					below, below == 1 ? "" : "s");
				items[n].help = items[n].buf;
			}
			n++;
		}
		e = match_ender(&m);
	} else {
		e = m.ent;
	}
	if (e != NULL) {
		int na = nfull - m.depth;

		nw = arg_words(s, e, na, argv + m.depth, cur, words, NG_CLI_CAND_MAX - n);
		nw = sort_unique(words, nw);
		for (int i = 0; i < nw; i++, n++) {
			items[n].name = words[i];
			items[n].help = "";
		}
		usage(e, use, sizeof(use));
		items[n].name = use;
		items[n].help = e->cmd->help ? e->cmd->help : "";
		n++;
	}
	if (n == 0) { /* a partial word that matches nothing */
		m.status = CLI_M_UNKNOWN;
		cli_match_error(s, cur, &m);
		goto out;
	}
	print_items(s, items, n);
out:
	free(buf);
}

/*
 * Tab's candidates for the word being typed at the end of text: up to
 * NG_CLI_CAND_MAX sorted, distinct ones; *cur receives that word (in buf, at
 * least strlen(text) + 1 bytes). @return their number, or -1 when the words
 * before are in error.
 */
static int
complete_at(struct ng_cli_sess *s, const char *text, char *buf, const char **cands,
	const char **cur)
{
	char *argv[NG_CLI_MAX_ARGS + 1];
	struct cli_split info;
	struct cli_match m;
	const struct cli_entry *e;
	int nfull, n = 0;

	cli_cmds_init();
	*cur = "";
	if (cli_split_line(text, buf, argv, NG_CLI_MAX_ARGS, &info) < 0)
		return -1;
	nfull = info.in_word ? info.argc - 1 : info.argc;
	*cur = info.in_word ? argv[info.argc - 1] : "";
	cli_match_words(nfull, argv, &m);
	if (m.status == CLI_M_UNKNOWN || m.status == CLI_M_AMBIGUOUS)
		return -1;
	if (m.status == CLI_M_PARTIAL) {
		n = next_words(&m, *cur, cands, NG_CLI_CAND_MAX);
		e = match_ender(&m);
	} else {
		e = m.ent;
	}
	if (e != NULL)
		n += arg_words(s, e, nfull - m.depth, argv + m.depth, *cur, cands + n,
			NG_CLI_CAND_MAX - n);
	return sort_unique(cands, n);
}

/* Words in columns (a Tab listing), each line ending in "\n". */
static void
print_columns(struct ng_cli_sess *s, const char *const *words, int n)
{
	size_t width = 0;
	int cols, col = 0;

	for (int i = 0; i < n; i++)
		if (strlen(words[i]) > width)
			width = strlen(words[i]);
	width += 2;
	cols = width >= 78 ? 1 : (int)(78 / width);
	for (int i = 0; i < n; i++) {
		bool last = ++col == cols || i == n - 1;

		ng_cli_printf(s, "%-*s%s", last ? 0 : (int)width, words[i], last ? "\n" : "");
		if (last)
			col = 0;
	}
}

bool
cli_help_asked(const char *text)
{
	return !quote_open(text, strlen(text));
}

enum cli_tab
cli_tab(struct ng_cli_sess *s, const char *text, char *ins, size_t inslen)
{
	const char *cands[NG_CLI_CAND_MAX];
	const char *cur = "";
	size_t len = strlen(text), at = len, curlen, lcp;
	char *buf;
	int n;

	/* the raw word being typed must not hold quotes */
	while (at > 0 && !is_space(text[at - 1]))
		if (text[--at] == '"')
			return CLI_TAB_NONE;
	buf = malloc(len + 1);
	if (buf == NULL)
		return CLI_TAB_NONE;
	n = complete_at(s, text, buf, cands, &cur);
	curlen = strlen(cur);
	if (n == 1) {
		snprintf(ins, inslen, "%s ", cands[0] + curlen);
	} else if (n > 1) {
		lcp = strlen(cands[0]);
		for (int i = 1; i < n; i++) {
			size_t k = 0;

			while (k < lcp && cands[i][k] == cands[0][k])
				k++;
			lcp = k;
		}
		if (lcp > curlen) {
			snprintf(ins, inslen, "%.*s", (int)(lcp - curlen), cands[0] + curlen);
		} else {
			ng_cli_printf(s, "\n");
			print_columns(s, cands, n);
			n = -2;
		}
	}
	free(buf);
	return n == -2 ? CLI_TAB_LISTED : n > 0 ? CLI_TAB_INSERT : CLI_TAB_NONE;
}

/* ---- built-ins ---- */

static int
cmp_entry(const void *a, const void *b)
{
	const struct cli_entry *x = *(const struct cli_entry *const *)a;
	const struct cli_entry *y = *(const struct cli_entry *const *)b;

	return strcmp(x->cmd->path, y->cmd->path);
}

static int
cmd_help(struct ng_cli_sess *s, int argc, char **argv)
{
	static const struct cli_entry *list[NG_CLI_CMDS_MAX];
	struct help_item *items;
	char(*use)[NG_CLI_PATH_MAX * (NG_CLI_WORD_MAX + 1) + 256];
	unsigned int n = 0;

	for (unsigned int i = 0; i < ntab; i++) {
		const struct cli_entry *e = &tab[i];
		bool ok = (unsigned int)argc <= e->nw;

		for (int k = 0; ok && k < argc; k++)
			ok = is_prefix(argv[k], e->w[k]);
		if (ok)
			list[n++] = e;
	}
	if (n == 0) {
		char tok[200];

		cli_quote_token(tok, sizeof(tok), argc > 0 ? argv[0] : "");
		ng_cli_error(s, "help: no command starts with \"%s\"", tok);
		return -1;
	}
	qsort(list, n, sizeof(list[0]), cmp_entry);
	items = calloc(n, sizeof(*items));
	use = calloc(n, sizeof(*use));
	if (items == NULL || use == NULL) {
		free(items);
		free(use);
		ng_cli_error(s, "help: out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		usage(list[i], use[i], sizeof(use[i]));
		items[i].name = use[i];
		items[i].help = list[i]->cmd->help ? list[i]->cmd->help : "";
	}
	print_items(s, items, (int)n);
	free(items);
	free(use);
	return 0;
}

static int
leave(struct ng_cli_sess *s, const char *name, int argc)
{
	if (argc > 0) {
		ng_cli_error(s, "%s: takes no arguments", name);
		return -1;
	}
	cli_sess_quit(s);
	return 0;
}

static int
cmd_quit(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)argv;
	return leave(s, "quit", argc);
}

static int
cmd_exit(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)argv;
	return leave(s, "exit", argc);
}

static const struct ng_cli_cmd builtins[] = {
	{"help", "[WORD...]", "List commands (those starting with the words)", cmd_help, NULL},
	{"quit", NULL, "Leave the CLI", cmd_quit, NULL},
	{"exit", NULL, "Leave the CLI", cmd_exit, NULL},
};

void
cli_cmds_init(void)
{
	if (builtins_done)
		return;
	builtins_done = true;
	add_cmds(builtins, sizeof(builtins) / sizeof(builtins[0]));
}
