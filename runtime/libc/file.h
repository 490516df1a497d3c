/* file.h: the file descriptors of files (libc/file.c), for libc/fd.c's read, write, close,
 * lseek and fstat. */
#ifndef UK_LIBC_FILE_H
#define UK_LIBC_FILE_H

#include <sys/stat.h>
#include <sys/types.h>

#define FILE_FD_FIRST 160 /* above lwIP's sockets: 3 + MEMP_NUM_NETCONN (lwip_port/lwipopts.h) */
#define FILE_MAX      64  /* open files at once; the last fd stays below FD_SETSIZE (256) */

/* Weak in fd.c: an app that never opens a file does not link the file systems. */
ssize_t uk_file_read(int fd, void *buf, size_t n);
ssize_t uk_file_write(int fd, const void *buf, size_t n);
off_t uk_file_lseek(int fd, off_t offset, int whence);
int uk_file_close(int fd);
int uk_file_fstat(int fd, struct stat *st);

#endif
