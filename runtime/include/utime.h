/*
 * utime.h: picolibc's struct utimbuf and the utime() it leaves undeclared (libc/attr.c: the
 * file systems keep no times, so setting them succeeds for a file that exists).
 *     struct utimbuf t = {.actime = 0, .modtime = 0};
 *     if (utime("/data/log.txt", &t) < 0)
 *             perror("utime");
 */
#ifndef UK_UTIME_H
#define UK_UTIME_H

#include_next <utime.h>

int utime(const char *path, const struct utimbuf *times);

#endif
