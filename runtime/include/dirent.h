/*
 * dirent.h: directories of the card's file systems (/boot, /data) and of "/" (which lists the
 * mounts). Replaces picolibc's, which has none.
 *     DIR *d = opendir("/boot");
 *     struct dirent *e;
 *     while (d && (e = readdir(d)))
 *             printf("%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
 *     if (d)
 *             closedir(d);
 */
#ifndef UK_DIRENT_H
#define UK_DIRENT_H

#include <sys/types.h>

#define DT_UNKNOWN 0
#define DT_DIR	   4
#define DT_REG	   8

struct dirent {
	ino_t d_ino; /* 0: the file systems have no inode numbers */
	unsigned char d_type;
	char d_name[256];
};

typedef struct uk_dir DIR;

DIR *opendir(const char *path);	  /* NULL with errno ENOENT, ENOTDIR, ENOMEM, EIO */
struct dirent *readdir(DIR *dir); /* NULL at the end (errno unchanged) or on error */
int closedir(DIR *dir);
void rewinddir(DIR *dir);

#endif
