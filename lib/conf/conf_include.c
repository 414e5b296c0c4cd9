/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The @include files of a config, checked before libconfig sees them.
 *
 * libconfig 1.5 opens an @include with fopen() and hands the stream to its
 * flex scanner. fopen() of a directory succeeds on Linux; the scanner's first
 * read then fails (EISDIR) and flex calls exit(2) ("input in flex scanner
 * failed"). A FIFO or a device makes it block or read garbage. So every
 * @include is found here first, with the scanner's own rules, and must name
 * a readable regular file; included files are scanned the same way, as deep
 * as libconfig would go. The error names the file and line of the @include.
 *
 * This is the first of two guards: the gateway also parses only in a child
 * process (conf_child.c), which covers whatever this scan cannot (a file
 * replaced between this check and libconfig's open, a read error).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_priv.h"

/* libconfig 1.5's MAX_INCLUDE_DEPTH: an @include inside the 10th nested
 * file is refused by libconfig itself ("include file nesting too deep"). */
#define INCLUDE_DEPTH_MAX 10

/* The scanner's exclusive start conditions that matter here. */
enum scan_state {
	SCAN_CODE,    /* INITIAL: tokens; @include is recognised at a line start */
	SCAN_COMMENT, /* inside a C comment */
	SCAN_STRING,  /* inside a string */
};

struct scan {
	struct ld *x;
	enum scan_state state; /* carried across files, as flex does */
};

static int scan_text(struct scan *sc, const char *file, const char *text, unsigned int depth);

/*
 * If p (at a line start, in code) is libconfig's include_open
 * (^[ \t]*@include[ \t]+\"), the first character of the file name; else NULL.
 */
static const char *
include_open(const char *p)
{
	p += strspn(p, " \t");
	if (strncmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
		return NULL;
	p += 8;
	p += strspn(p, " \t");
	return *p == '"' ? p + 1 : NULL;
}

/*
 * The name of an @include starting at p, unescaped as the scanner does:
 * \\ and \" are escapes, a lone backslash is dropped (flex's default rule).
 * Returns the character after the closing quote, or NULL when the name is
 * unterminated (libconfig then reports the syntax error) or too long. *lines
 * counts the newlines inside the name.
 */
static const char *
include_name(const char *p, char *name, size_t size, unsigned int *lines, bool *too_long)
{
	size_t n = 0;

	*too_long = false;
	while (*p != '\0' && *p != '"') {
		char ch = *p++;

		if (ch == '\\') {
			if (*p != '\\' && *p != '"')
				continue;
			ch = *p++;
		}
		if (ch == '\n')
			(*lines)++;
		if (n + 1 >= size) {
			*too_long = true;
			return NULL;
		}
		name[n++] = ch;
	}
	name[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

static int __attribute__((format(printf, 4, 5)))
inc_fail(struct scan *sc, const char *file, unsigned int line, const char *fmt, ...)
{
	char msg[NG_ERRBUF];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(sc->x->err, sc->x->errlen, "%s:%u: %s", file, line, msg);
	return -EINVAL;
}

/*
 * Check the file an @include names and scan it. libconfig 1.5 (no
 * include_dir set) opens the name as written: relative to the working
 * directory. stat() first, so that nothing with side effects on open (a
 * FIFO, a device) is opened; fstat() again on what was opened.
 */
static int
include_file(struct scan *sc, const char *file, unsigned int line, const char *name,
	unsigned int depth)
{
	struct stat st;
	char *text;
	FILE *f;
	int fd, rc;

	if (stat(name, &st) < 0)
		return inc_fail(sc, file, line, "@include \"%s\": cannot read: %s", name,
			strerror(errno));
	if (S_ISDIR(st.st_mode))
		return inc_fail(sc, file, line, "@include \"%s\" is a directory; include "
			"files one by one", name);
	if (!S_ISREG(st.st_mode))
		return inc_fail(sc, file, line, "@include \"%s\" is not a regular file", name);
	fd = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = fd < 0 ? errno : EINVAL;

		if (fd >= 0)
			close(fd);
		return inc_fail(sc, file, line, "@include \"%s\": cannot read: %s", name,
			e == EINVAL ? "not a regular file" : strerror(e));
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return -ENOMEM;
	}
	text = read_all(f);
	rc = text == NULL ? errno : 0;
	fclose(f);
	if (text == NULL)
		return rc == ENOMEM ? -ENOMEM : inc_fail(sc, file, line,
			"@include \"%s\": cannot read: %s", name, strerror(rc));
	rc = scan_text(sc, name, text, depth + 1);
	free(text);
	return rc;
}

/*
 * An @include at p (the first character of its name) in file at line.
 * Returns 0 with *end after the closing quote, 1 when scanning should stop
 * and leave the rest to libconfig's own error, or a negative errno.
 */
static int
scan_include(struct scan *sc, const char *file, unsigned int *line, const char *p,
	unsigned int depth, const char **end)
{
	char name[PATH_MAX];
	unsigned int at = *line;
	bool too_long;

	*end = include_name(p, name, sizeof(name), line, &too_long);
	if (too_long)
		return inc_fail(sc, file, at, "@include: the file name is longer than %zu "
			"characters", sizeof(name) - 1);
	if (*end == NULL || depth >= INCLUDE_DEPTH_MAX)
		return 1;
	/* The scanner state at the end of the included file carries on here. */
	return include_file(sc, file, at, name, depth);
}

/* Skip over one character (or escape) of a string or comment; code is handled apart. */
static const char *
skip_char(struct scan *sc, const char *p)
{
	if (sc->state == SCAN_STRING) {
		if (p[0] == '\\' && p[1] != '\0')
			return p + 2;
		if (p[0] == '"')
			sc->state = SCAN_CODE;
	} else if (p[0] == '*' && p[1] == '/') {
		sc->state = SCAN_CODE;
		return p + 2;
	}
	return p + 1;
}

/*
 * Scan text (the contents of file, nested depth includes deep) as libconfig's
 * scanner does: strings and comments hide @include, which it recognises only
 * in code at the start of a line. Returns 0, 1 (stop: libconfig reports the
 * error itself), or a negative errno with the error buffer filled.
 */
static int
scan_text(struct scan *sc, const char *file, const char *text, unsigned int depth)
{
	unsigned int line = 1;
	bool bol = true;
	const char *p = text, *name;
	int rc;

	while (*p != '\0') {
		const char *q = p;

		if (sc->state != SCAN_CODE) {
			p = skip_char(sc, p);
		} else if (bol && (name = include_open(p)) != NULL) {
			rc = scan_include(sc, file, &line, name, depth, &p);
			if (rc != 0)
				return rc;
			bol = false;
			continue;
		} else if (p[0] == '"') {
			sc->state = SCAN_STRING;
			p++;
		} else if (p[0] == '/' && p[1] == '*') {
			sc->state = SCAN_COMMENT;
			p += 2;
		} else if (p[0] == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else {
			p++;
		}
		for (; q < p; q++)
			if (*q == '\n')
				line++;
		bol = p > text && p[-1] == '\n';
	}
	return 0;
}

int
conf_check_includes(struct ld *x, const char *text)
{
	struct scan sc = {.x = x, .state = SCAN_CODE};
	int rc = scan_text(&sc, x->path, text, 0);

	return rc < 0 ? rc : 0;
}
