/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the config loader (lib/conf, ng_conf_load) on arbitrary text.
 *
 * The input is written to in.conf in a directory of its own, which also
 * holds files an @include may name: two valid fragments, a directory and a
 * FIFO (both must be refused with FILE:LINE, not make libconfig exit or
 * block). Inputs whose @include could leave that directory (a '/' or ".." in
 * the name, or a backslash escape) are skipped, so no file outside it is read.
 *
 * Properties: no crash, leak or sanitizer report; a refusal fills the error
 * buffer with a message that starts with the file it is about; a loaded
 * config keeps every count within the loader's limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz_common.h"

static const char *const include_files[] = {"svc.inc", "ports.inc", "dir.inc", "fifo.inc"};

/* libconfig 1.5 leaks the string it holds when a syntax error follows it
 * (the gateway parses in a child for that reason); not a finding here. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

static char dir[] = "/tmp/ng-fuzz-conf.XXXXXX";
static int dir_fd = -1, home_fd = -1; /* the fixtures' directory; the fuzzer's */

static void
cleanup(void)
{
	if (dir_fd < 0)
		return;
	for (size_t i = 0; i < sizeof(include_files) / sizeof(include_files[0]); i++)
		unlinkat(dir_fd, include_files[i], strcmp(include_files[i], "dir.inc") == 0 ?
			AT_REMOVEDIR : 0);
	unlinkat(dir_fd, "in.conf", 0);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0 || mkdtemp(dir) == NULL || chdir(dir) != 0 ||
			(dir_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror("fuzz_conf: temporary directory");
		exit(1);
	}
	atexit(cleanup);
	put("svc.inc", "services = ( { name = \"inc\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"198.19.0.1\"]; backends = ( { address = \"198.18.0.2\"; } ); } );\n");
	put("ports.inc", "ports = ( { name = \"p\"; devargs = \"net_null0\"; "
		"addresses = [\"198.18.0.1/24\"]; } );\n");
	if (mkdir("dir.inc", 0700) != 0 || mkfifo("fifo.inc", 0600) != 0 ||
			fchdir(home_fd) != 0) {
		perror("fuzz_conf: include fixtures");
		exit(1);
	}
	return 0;
}

/*
 * Could an @include of this input name a file outside the directory? Looks at
 * what follows every "@include" up to its second quote (where a name without
 * a backslash ends): no '/', no '\\', no "..".
 */
static bool
escapes(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;

	while ((p = memmem(p, (size_t)(end - p), "@include", 8)) != NULL) {
		const uint8_t *q = p + 8;
		int quotes = 0;

		for (; q < end && quotes < 2; q++) {
			if (*q == '"')
				quotes++;
			else if (*q == '/' || *q == '\\' || (*q == '.' && q + 1 < end && q[1] == '.'))
				return true;
		}
		p += 8;
	}
	return false;
}

static bool
names_a_file(const char *err)
{
	if (strncmp(err, "in.conf", 7) == 0)
		return true;
	for (size_t i = 0; i < sizeof(include_files) / sizeof(include_files[0]); i++)
		if (strncmp(err, include_files[i], strlen(include_files[i])) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[NG_ERRBUF];
	struct ng_conf *c;
	int fd;

	if (escapes(data, size))
		return -1; /* not added to the corpus */
	fd = openat(dir_fd, "in.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0) {
		perror("in.conf");
		exit(1);
	}
	memset(err, 'z', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	/* In the fixtures' directory while loading (libconfig opens an @include
	 * from the working directory); in the fuzzer's for its own files. */
	if (fchdir(dir_fd) != 0)
		abort();
	c = ng_conf_load("in.conf", err, sizeof(err));
	if (fchdir(home_fd) != 0)
		abort();
	if (c == NULL) {
		FZ_ASSERT(err[0] != '\0' && err[0] != 'z', "a refusal says why");
		FZ_ASSERT(names_a_file(err), "the error names the file: \"%s\"", err);
		FZ_ASSERT(errno == EINVAL || errno == ENOMEM, "errno %d for \"%s\"", errno, err);
		return 0;
	}
	FZ_ASSERT(c->n_ports >= 1 && c->n_ports <= NG_MAX_PORTS, "%u ports", c->n_ports);
	FZ_ASSERT(c->n_routes <= NG_MAX_ROUTES, "%u routes", c->n_routes);
	FZ_ASSERT(c->n_neighbours <= NG_MAX_STATIC_NEIGH, "%u neighbours", c->n_neighbours);
	FZ_ASSERT(c->n_services <= NG_MAX_SERVICES, "%u services", c->n_services);
	for (unsigned int i = 0; i < c->n_services; i++) {
		const struct ng_conf_service *s = &c->services[i];

		FZ_ASSERT(s->n_vips <= NG_MAX_SVC_VIPS && s->n_backends <= NG_MAX_SVC_BACKENDS &&
			s->name[0] != '\0', "service #%u", i);
		FZ_ASSERT(s->n_vips > 0 || s->node_port != 0, "service \"%s\" has a frontend",
			s->name);
	}
	ng_conf_free(c);
	return 0;
}
