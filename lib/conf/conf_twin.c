/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ports[].kernel: a port's kernel twin, the interface that carries what
 * nodegw does not consume to the kernel (lib/twin, doc/configuration.md).
 */
#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

static const char *const twin_keys[] = {"name", "backend", "addresses", "rate_pps", "burst",
	"queue_size", NULL};

const char *
ng_twin_backend_name(enum ng_twin_backend b)
{
	switch (b) {
	case NG_TWIN_AUTO:
		return "auto";
	case NG_TWIN_VIRTIO_USER:
		return "virtio_user";
	case NG_TWIN_TAP:
		return "tap";
	}
	return "?";
}

/* A Linux interface name nodegw accepts: 1..15 of A-Z a-z 0-9 _ . -, not "." or "..". */
static bool
ifname_ok(const char *s)
{
	return name_ok(s, NG_IFNAME_MAX) && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Does devargs name kernel interface ifname (",iface=NAME", as net_af_packet does)? */
static bool
devargs_iface_is(const char *devargs, const char *ifname)
{
	size_t n = strlen(ifname);

	for (const char *p = strstr(devargs, ",iface="); p != NULL; p = strstr(p + 1, ",iface=")) {
		const char *v = p + strlen(",iface=");

		if (strncmp(v, ifname, n) == 0 && (v[n] == '\0' || v[n] == ','))
			return true;
	}
	return false;
}

static int
load_twin_name(struct ld *x, const config_setting_t *g, const char *what, unsigned int pi)
{
	struct ng_conf_port *port = &x->c->ports[pi];
	const config_setting_t *s;
	const char *name;
	int rc = get_str(x, g, "name", what, &name, &s);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return missing(x, g, what, "name");
	if (!ifname_ok(name))
		return fail(x, s, "%s: name \"%s\" must be 1..%d characters of A-Z a-z 0-9 _ . - "
			"(a Linux interface name)", what, name, NG_IFNAME_MAX - 1);
	for (unsigned int i = 0; i < pi; i++)
		if (x->c->ports[i].kernel.enabled && strcmp(x->c->ports[i].kernel.name, name) == 0)
			return fail(x, s, "%s: name \"%s\" is already the kernel interface of port "
				"\"%s\"", what, name, x->c->ports[i].name);
	for (unsigned int i = 0; i <= pi; i++)
		if (devargs_iface_is(x->c->ports[i].devargs, name))
			return fail(x, s, "%s: name \"%s\" is the interface port \"%s\" opens "
				"(devargs iface=); the twin needs a name of its own", what, name,
				x->c->ports[i].name);
	snprintf(port->kernel.name, sizeof(port->kernel.name), "%s", name);
	return 0;
}

static int
load_twin_backend(struct ld *x, const config_setting_t *g, const char *what,
	struct ng_conf_twin *k)
{
	static const enum ng_twin_backend all[] = {NG_TWIN_AUTO, NG_TWIN_VIRTIO_USER, NG_TWIN_TAP};
	const config_setting_t *s;
	const char *v;
	int rc = get_str(x, g, "backend", what, &v, &s);

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < RTE_DIM(all); i++)
		if (strcmp(v, ng_twin_backend_name(all[i])) == 0) {
			k->backend = all[i];
			return 0;
		}
	return fail(x, s, "%s: backend \"%s\" is not one of auto, virtio_user, tap", what, v);
}

/*
 * The optional "kernel" group of port pi (g is the port's group, what names
 * the port). Absent: no twin.
 */
int
load_port_kernel(struct ld *x, const config_setting_t *g, const char *what, unsigned int pi)
{
	struct ng_conf_twin *k = &x->c->ports[pi].kernel;
	const config_setting_t *s = config_setting_get_member(g, "kernel");
	char kw[NG_NAME_MAX + 32];
	uint32_t v;
	int rc;

	memset(k, 0, sizeof(*k));
	if (s == NULL)
		return 0;
	snprintf(kw, sizeof(kw), "%s: kernel", what);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail(x, s, "%s must be a group { name = \"IFNAME\"; ... }, not %s", kw,
			type_name(s));
	k->enabled = true;
	k->line = config_setting_source_line(s);
	k->backend = NG_TWIN_AUTO;
	k->addresses = true;
	k->rate_pps = NG_TWIN_RATE_DEF;
	k->burst = NG_TWIN_BURST_DEF;
	k->queue_size = NG_TWIN_QSIZE_DEF;
	if ((rc = check_keys(x, s, kw, twin_keys)) < 0 ||
			(rc = load_twin_name(x, s, kw, pi)) < 0 ||
			(rc = load_twin_backend(x, s, kw, k)) < 0 ||
			(rc = get_bool(x, s, "addresses", kw, &k->addresses)) < 0 ||
			(rc = get_u32(x, s, "rate_pps", kw, 1, NG_TWIN_RATE_MAX, &k->rate_pps)) < 0 ||
			(rc = get_u32(x, s, "burst", kw, 1, NG_TWIN_BURST_MAX, &k->burst)) < 0)
		return rc;
	v = k->queue_size;
	if ((rc = get_u32(x, s, "queue_size", kw, NG_TWIN_QSIZE_MIN, NG_TWIN_QSIZE_MAX, &v)) < 0)
		return rc;
	if (!is_pow2(v))
		return fail(x, config_setting_get_member(s, "queue_size"),
			"%s: queue_size %u is not a power of two", kw, v);
	k->queue_size = (uint16_t)v;
	return 0;
}
