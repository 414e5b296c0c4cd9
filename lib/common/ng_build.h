/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The source revision a binary was built from, so a figure or a bug report
 * names the code that made it (not the tree it happens to sit in).
 */
#ifndef NG_BUILD_H
#define NG_BUILD_H

/** `git describe --always --dirty --abbrev=12` of the tree at build time; "unknown"
 * outside a git checkout (a tarball, `git archive`). */
extern const char ng_build_rev[];

#endif
