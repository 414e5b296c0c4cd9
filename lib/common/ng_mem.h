/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_MEM_H
#define NG_MEM_H

#include <stddef.h>

/**
 * Fault the whole pages of [p, p + len) in with one system call
 * (MADV_POPULATE_WRITE, Linux 5.14) instead of one page fault for each page
 * the first writer touches. For large control-core allocations on --no-huge
 * memory (memfd pages that are not there until touched); hugepages are
 * populated already, and a kernel that refuses the advice leaves the pages to
 * fault as before, so the call never fails.
 */
void ng_mem_populate(void *p, size_t len);

#endif
