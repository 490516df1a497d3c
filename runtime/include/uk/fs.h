/*
 * uk/fs.h: the card's file systems. Apps use plain POSIX and stdio (open, fopen, opendir...):
 *   /boot  the boot partition (FAT32): config.txt, cmdline.txt, a fleet device's own files
 *   /data  the data partition (littlefs, when uk.yaml's image.data asks for one): survives a
 *          power cut at any instant with every write that fsync() returned from
 *   /tmp   a FAT file system in RAM, new at every boot; the current directory at start
 * This header only adds what POSIX has no call for:
 *     #include <errno.h>
 *     #include <stdio.h>
 *     #include <sys/stat.h>
 *     #include <uk/fs.h>
 *     int main(void)
 *     {
 *             struct stat st;
 *             if (stat("/data", &st) < 0 && errno == ENODEV) {  // blank or damaged
 *                     int r = uk_fs_format("/data");             // a new, empty /data
 *                     if (r < 0)
 *                             return 1;
 *             }
 *             FILE *f = fopen("/data/log.txt", "a");
 *             ...
 *     }
 */
#ifndef UK_FS_H
#define UK_FS_H

/* Makes a new, empty file system on /data (everything on it is lost) and mounts it. 0, or
 * -ENOENT (no data partition), -EPERM (another mount), -EBUSY (files on it are open), -EIO. */
int uk_fs_format(const char *mount_point);

#endif
