/*
 * sys/stat.h: picolibc's, plus lstat(), which it declares only for some systems (libc/file.c:
 * the same as stat(), as there are no symbolic links).
 *     struct stat st;
 *     if (lstat("/boot/config.txt", &st) == 0)
 *             printf("%lld bytes\n", (long long)st.st_size);
 */
#ifndef UK_SYS_STAT_H
#define UK_SYS_STAT_H

#include_next <sys/stat.h>

int lstat(const char *__restrict path, struct stat *__restrict st);

#endif
