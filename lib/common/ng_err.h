/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ERR_H
#define NG_ERR_H

/**
 * @file
 * The error sentence of a control API call: functions that can fail on bad
 * input fill a caller's buffer with one sentence a person can act on, and
 * return a negative errno.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/**
 * Write a sentence to err (when err is not NULL) and return rc.
 * @param err buffer, or NULL when the caller does not want the sentence
 * @param errlen size of err
 * @param rc what the caller returns: a negative errno
 * @return rc
 */
static inline int __attribute__((format(printf, 4, 5)))
ng_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

#endif
