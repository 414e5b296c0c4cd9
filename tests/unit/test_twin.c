/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/twin's pure parts, no EAL: which backend a twin gets, the
 * devargs that create it (virtio_user over /dev/vhost-net is built and chosen
 * here even on hosts without vhost-net, where only the tap backend can run),
 * and what the exception path does with frames the kernel sends.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

#include "twin.h"

static const struct rte_ether_addr mac = {{0x02, 0x00, 0x0a, 0xbc, 0x00, 0xff}};

/* ---- backend choice ---- */

static void
pick(enum ng_twin_backend want, bool vhost, bool tun, int rc_want, enum ng_twin_backend want_out,
		const char *msg)
{
	enum ng_twin_backend out = NG_TWIN_AUTO;
	char err[256] = "";
	int rc = ng_twin_backend_pick(want, vhost, tun, &out, err, sizeof(err));

	assert_int_equal(rc, rc_want);
	if (rc == 0)
		assert_int_equal(out, want_out);
	else if (strstr(err, msg) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, msg);
}

static void
test_backend_pick(void **state)
{
	(void)state;
	/* auto: virtio_user where vhost-net exists, tap otherwise */
	pick(NG_TWIN_AUTO, true, true, 0, NG_TWIN_VIRTIO_USER, NULL);
	pick(NG_TWIN_AUTO, true, false, 0, NG_TWIN_VIRTIO_USER, NULL);
	pick(NG_TWIN_AUTO, false, true, 0, NG_TWIN_TAP, NULL);
	pick(NG_TWIN_AUTO, false, false, -ENODEV, 0,
		"backend auto: neither /dev/vhost-net nor /dev/net/tun is usable");
	/* forced */
	pick(NG_TWIN_VIRTIO_USER, true, false, 0, NG_TWIN_VIRTIO_USER, NULL);
	pick(NG_TWIN_VIRTIO_USER, false, true, -ENODEV, 0,
		"backend virtio_user needs /dev/vhost-net");
	pick(NG_TWIN_TAP, true, true, 0, NG_TWIN_TAP, NULL);
	pick(NG_TWIN_TAP, true, false, -ENODEV, 0, "backend tap needs /dev/net/tun");
}

/* ---- devargs ---- */

static void
test_devargs(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(ng_twin_devargs(buf, sizeof(buf), NG_TWIN_VIRTIO_USER, 3, "ngw-uplink",
			&mac, 1024), 0);
	assert_string_equal(buf, "net_virtio_user_ngw3,path=/dev/vhost-net,queues=1,"
			"queue_size=1024,iface=ngw-uplink,mac=02:00:0a:bc:00:ff");
	assert_int_equal(ng_twin_devargs(buf, sizeof(buf), NG_TWIN_TAP, 0, "ngw-client", &mac,
			512), 0);
	assert_string_equal(buf, "net_tap_ngw0,iface=ngw-client,mac=02:00:0a:bc:00:ff");
	assert_int_equal(ng_twin_devname(buf, sizeof(buf), NG_TWIN_TAP, 15), 0);
	assert_string_equal(buf, "net_tap_ngw15");
	assert_int_equal(ng_twin_devname(buf, sizeof(buf), NG_TWIN_VIRTIO_USER, 15), 0);
	assert_string_equal(buf, "net_virtio_user_ngw15");
	/* auto is resolved before: no devargs for it */
	assert_int_equal(ng_twin_devargs(buf, sizeof(buf), NG_TWIN_AUTO, 0, "x", &mac, 512),
			-EINVAL);
	/* too small a buffer is an error, not a cut string */
	assert_int_equal(ng_twin_devargs(buf, 40, NG_TWIN_TAP, 0, "ngw-client", &mac, 512),
			-ENOSPC);
	assert_int_equal(ng_twin_devname(buf, 8, NG_TWIN_TAP, 0), -ENOSPC);
}

/* ---- frames from the kernel ---- */

struct frame {
	uint8_t b[1600];
	uint32_t len;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
be4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return rte_cpu_to_be_32((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
}

/* Ethernet (tagged when vlan), then an ARP message op from sip, padded to min. */
static void
arp_frame(struct frame *f, bool vlan, uint16_t op, uint32_t sip)
{
	uint32_t l2 = vlan ? 18 : 14;
	uint8_t *a;

	memset(f, 0, sizeof(*f));
	memset(f->b, 0xff, 6);
	memcpy(f->b + 6, mac.addr_bytes, 6);
	if (vlan) {
		put16(f->b + 12, RTE_ETHER_TYPE_VLAN);
		put16(f->b + 14, 42);
	}
	put16(f->b + l2 - 2, RTE_ETHER_TYPE_ARP);
	a = f->b + l2;
	put16(a, RTE_ARP_HRD_ETHER);
	put16(a + 2, RTE_ETHER_TYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, mac.addr_bytes, 6);
	memcpy(a + 14, &sip, 4);
	f->len = l2 + 28 + 18; /* padded to 60 bytes untagged */
}

static void
ip_frame(struct frame *f, uint32_t payload)
{
	memset(f, 0, sizeof(*f));
	put16(f->b + 12, RTE_ETHER_TYPE_IPV4);
	f->b[14] = 0x45;
	f->len = 14 + payload;
}

static void
test_kernel_frames(void **state)
{
	const uint32_t local[] = {be4(198, 18, 0, 1), be4(198, 18, 1, 1)};
	struct frame f;

	(void)state;
	/* an ARP reply for a gateway address: nodegw answered already */
	arp_frame(&f, false, RTE_ARP_OP_REPLY, be4(198, 18, 1, 1));
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 2), NG_TWIN_DROP_ARP_REPLY);
	arp_frame(&f, true, RTE_ARP_OP_REPLY, be4(198, 18, 0, 1));
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 2), NG_TWIN_DROP_ARP_REPLY);
	/* the kernel's own ARP requests go out, and replies for other addresses */
	arp_frame(&f, false, RTE_ARP_OP_REQUEST, be4(198, 18, 0, 1));
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 2), NG_TWIN_DROP_NONE);
	arp_frame(&f, false, RTE_ARP_OP_REPLY, be4(198, 18, 0, 9));
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 2), NG_TWIN_DROP_NONE);
	arp_frame(&f, false, RTE_ARP_OP_REPLY, be4(198, 18, 1, 1));
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 0), NG_TWIN_DROP_NONE);
	/* a truncated ARP is not read past its end */
	arp_frame(&f, false, RTE_ARP_OP_REPLY, be4(198, 18, 1, 1));
	assert_int_equal(ng_twin_kernel_frame(f.b, 14 + 27, 1500, local, 2), NG_TWIN_DROP_NONE);
	/* the MTU: 14 + 1500 goes, one byte more does not; a tag adds 4 */
	ip_frame(&f, 1500);
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 2), NG_TWIN_DROP_NONE);
	ip_frame(&f, 1501);
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 2), NG_TWIN_DROP_TOO_BIG);
	put16(f.b + 12, RTE_ETHER_TYPE_VLAN);
	put16(f.b + 16, RTE_ETHER_TYPE_IPV4);
	f.len = 18 + 1500;
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len, 1500, local, 2), NG_TWIN_DROP_NONE);
	assert_int_equal(ng_twin_kernel_frame(f.b, f.len + 1, 1500, local, 2),
			NG_TWIN_DROP_TOO_BIG);
	/* reasons have ids and sentences */
	assert_string_equal(ng_twin_drop_id(NG_TWIN_DROP_ARP_REPLY), "arp_reply");
	assert_string_equal(ng_twin_drop_id(NG_TWIN_DROP_INJECT_FULL), "inject_full");
	assert_non_null(strstr(ng_twin_drop_name(NG_TWIN_DROP_TX_FULL), "to the kernel"));
	assert_string_equal(ng_twin_drop_id(NG_TWIN_DROP_MAX), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_pick),
		cmocka_unit_test(test_devargs),
		cmocka_unit_test(test_kernel_frames),
	};

	return cmocka_run_group_tests_name("twin", tests, NULL, NULL);
}
