/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "ng_hash.h"

static const uint32_t ladder[] = {
	257, 521, 1031, 2053, 4099, 8209, 16411, 32771, 65537,
};

uint32_t
ng_maglev_size(uint32_t n_backends)
{
	uint64_t want = (uint64_t)n_backends * NG_MAGLEV_FACTOR;

	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (ladder[i] >= want)
			return ladder[i];
	return NG_MAGLEV_MAX;
}

static void
backend_key(const struct ng_maglev_backend *b, uint8_t key[19])
{
	memset(key, 0, 19);
	key[0] = b->addr.family;
	if (b->addr.family == AF_INET)
		memcpy(key + 1, &b->addr.v4, 4);
	else
		memcpy(key + 1, b->addr.v6, 16);
	key[17] = (uint8_t)(b->port >> 8);
	key[18] = (uint8_t)b->port;
}

static inline uint64_t
step(uint64_t pos, uint64_t skip, uint64_t m)
{
	pos += skip;
	return pos >= m ? pos - m : pos;
}

int
ng_maglev_build(const struct ng_maglev_backend *b, uint32_t n, uint16_t *table, uint32_t m)
{
	uint64_t *pos, *skip, *credit;
	uint32_t maxw = 0, filled = 0;

	for (uint32_t i = 0; i < m; i++)
		table[i] = NG_MAGLEV_NONE;
	if (n == 0 || n >= NG_MAGLEV_NONE || m < 2)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (b[i].weight > maxw)
			maxw = b[i].weight;
	if (maxw == 0)
		return -EINVAL;

	pos = calloc(3 * (size_t)n, sizeof(uint64_t));
	if (pos == NULL)
		return -ENOMEM;
	skip = pos + n;
	credit = skip + n;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t key[19];

		backend_key(&b[i], key);
		pos[i] = ng_hash_bytes(key, sizeof(key), 0x4d61676c65763031ull) % m;
		skip[i] = ng_hash_bytes(key, sizeof(key), 0x536b697070657231ull) % (m - 1) + 1;
	}
	while (filled < m) {
		for (uint32_t i = 0; i < n && filled < m; i++) {
			credit[i] += b[i].weight;
			while (credit[i] >= maxw && filled < m) {
				credit[i] -= maxw;
				/* pos, skip < m: a compare replaces the division. */
				while (table[pos[i]] != NG_MAGLEV_NONE)
					pos[i] = step(pos[i], skip[i], m);
				table[pos[i]] = (uint16_t)i;
				pos[i] = step(pos[i], skip[i], m);
				filled++;
			}
		}
	}
	free(pos);
	return 0;
}
