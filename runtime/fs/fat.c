/*
 * FAT file systems (the boot partition, /boot) through FatFs: the "oofatfs" variant in Debian's
 * micropython source (lib/oofatfs), in which each FATFS names its own device (fs->drv, here a
 * struct volume), so one FatFs serves any number of volumes. Built with long names (on the
 * stack), code page 437, no clock (files get FatFs's fixed date), one shared sector window per
 * volume (FF_FS_TINY); see FATFS_FLAGS in runtime/Makefile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ff.h"
/* ff.h first: diskio.h uses its types */
#include "diskio.h"
#include "vfs.h"

/* ---- FatFs's device interface (diskio.h) over a volume ---- */
DRESULT disk_read(void *drv, BYTE *buff, DWORD sector, UINT count)
{
	return volume_read(drv, sector, count, buff) ? RES_ERROR : RES_OK;
}

DRESULT disk_write(void *drv, const BYTE *buff, DWORD sector, UINT count)
{
	struct volume *v = drv;
	if (v->bd->read_only)
		return RES_WRPRT;
	return volume_write(v, sector, count, buff) ? RES_ERROR : RES_OK;
}

DRESULT disk_ioctl(void *drv, BYTE cmd, void *buff)
{
	struct volume *v = drv;
	switch (cmd) {
	case CTRL_SYNC:
		return volume_sync(v) ? RES_ERROR : RES_OK;
	case GET_SECTOR_COUNT:
		*(DWORD *)buff = (DWORD)v->blocks;
		return RES_OK;
	case GET_SECTOR_SIZE:
		*(WORD *)buff = BLOCK_SIZE;
		return RES_OK;
	case GET_BLOCK_SIZE:
		*(DWORD *)buff = 1;
		return RES_OK;
	case IOCTL_INIT:
	case IOCTL_STATUS:
		*(DSTATUS *)buff = v->bd->read_only ? STA_PROTECT : 0;
		return RES_OK;
	default:
		return RES_PARERR;
	}
}

static int to_errno(FRESULT r)
{
	switch (r) {
	case FR_OK:
		return 0;
	case FR_NO_FILE:
	case FR_NO_PATH:
		return -ENOENT;
	case FR_EXIST:
		return -EEXIST;
	case FR_DENIED:
		return -EACCES;
	case FR_WRITE_PROTECTED:
		return -EROFS;
	case FR_INVALID_NAME:
	case FR_INVALID_PARAMETER:
		return -EINVAL;
	case FR_INVALID_OBJECT:
		return -EBADF;
	case FR_NOT_ENOUGH_CORE:
		return -ENOMEM;
	case FR_TOO_MANY_OPEN_FILES:
		return -EMFILE;
	case FR_LOCKED:
	case FR_TIMEOUT:
		return -EBUSY;
	case FR_NO_FILESYSTEM:
		return -ENODEV;
	default: /* FR_DISK_ERR, FR_INT_ERR, FR_NOT_READY, FR_MKFS_ABORTED */
		return -EIO;
	}
}

static int fat_open(struct mount *m, const char *path, int flags, void **file)
{
	BYTE mode = 0;
	int acc = flags & O_ACCMODE;
	if (acc == O_RDONLY || acc == O_RDWR)
		mode |= FA_READ;
	if (acc == O_WRONLY || acc == O_RDWR)
		mode |= FA_WRITE;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		mode |= FA_CREATE_NEW;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		mode |= FA_CREATE_ALWAYS;
	else if (flags & O_CREAT)
		mode |= FA_OPEN_ALWAYS;
	FIL *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	FRESULT r = f_open(m->fs, f, path, mode);
	if (r == FR_OK && (flags & O_TRUNC) && !(flags & O_CREAT) && (mode & FA_WRITE))
		r = f_truncate(f);
	if (r != FR_OK) {
		free(f);
		return to_errno(r);
	}
	*file = f;
	return 0;
}

static ssize_t fat_read(struct mount *m, void *file, void *buf, size_t n)
{
	(void)m;
	UINT got = 0;
	FRESULT r = f_read(file, buf, n > 0x7fffffff ? 0x7fffffff : (UINT)n, &got);
	return r == FR_OK ? (ssize_t)got : to_errno(r);
}

static ssize_t fat_write(struct mount *m, void *file, const void *buf, size_t n)
{
	(void)m;
	UINT put = 0;
	FRESULT r = f_write(file, buf, n > 0x7fffffff ? 0x7fffffff : (UINT)n, &put);
	if (r != FR_OK)
		return to_errno(r);
	if (put == 0 && n > 0)
		return -ENOSPC; /* FatFs stops short when no cluster is left */
	return (ssize_t)put;
}

static off_t fat_lseek(struct mount *m, void *file, off_t offset, int whence)
{
	(void)m;
	FIL *f = file;
	off_t base = whence == SEEK_SET	  ? 0
		     : whence == SEEK_CUR ? (off_t)f_tell(f)
					  : (off_t)f_size(f);
	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		return -EINVAL;
	off_t to = base + offset;
	if (to < 0 || to > 0xffffffffll)
		return -EINVAL;
	FRESULT r = f_lseek(f, (FSIZE_t)to);
	return r == FR_OK ? to : to_errno(r);
}

static int fat_fsync(struct mount *m, void *file)
{
	(void)m;
	FRESULT r = f_sync(file); /* directory entry and FAT written, then CTRL_SYNC */
	return to_errno(r);
}

static int fat_ftruncate(struct mount *m, void *file, off_t length)
{
	(void)m;
	FIL *f = file;
	FSIZE_t at = f_tell(f);
	if (length < 0 || length > 0xffffffffll)
		return -EINVAL;
	/* FatFs cuts at the file pointer, and grows a file when the pointer moves past its end */
	FRESULT r = f_lseek(f, (FSIZE_t)length);
	if (r == FR_OK && (FSIZE_t)length < f_size(f))
		r = f_truncate(f);
	/* the offset stays, unless it is now past the end: it moves to the end (a later write
	 * there would otherwise grow the file back with FatFs's zeros, which POSIX also gives) */
	if (r == FR_OK && at <= (FSIZE_t)length)
		r = f_lseek(f, at);
	return to_errno(r);
}

static void fill_stat(struct stat *st, FSIZE_t size, BYTE attrib)
{
	memset(st, 0, sizeof *st);
	st->st_mode =
	    (attrib & AM_DIR) ? S_IFDIR | 0755 : S_IFREG | ((attrib & AM_RDO) ? 0444 : 0644);
	st->st_size = (off_t)size;
	st->st_nlink = 1;
	st->st_blksize = BLOCK_SIZE;
	st->st_blocks = (blkcnt_t)((size + BLOCK_SIZE - 1) / BLOCK_SIZE);
}

static int fat_fstat(struct mount *m, void *file, struct stat *st)
{
	(void)m;
	fill_stat(st, f_size((FIL *)file), 0);
	return 0;
}

static int fat_close(struct mount *m, void *file)
{
	(void)m;
	FRESULT r = f_close(file);
	free(file);
	return to_errno(r);
}

static int fat_stat(struct mount *m, const char *path, struct stat *st)
{
	if (!strcmp(path, "/")) { /* FatFs has no entry for the root */
		fill_stat(st, 0, AM_DIR);
		return 0;
	}
	FILINFO fi;
	FRESULT r = f_stat(m->fs, path, &fi);
	if (r == FR_OK)
		fill_stat(st, fi.fsize, fi.fattrib);
	return to_errno(r);
}

static int fat_unlink(struct mount *m, const char *path)
{
	struct stat st;
	int r = fat_stat(m, path, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	return r ? r : to_errno(f_unlink(m->fs, path));
}

static int fat_rename(struct mount *m, const char *from, const char *to)
{
	/* POSIX replaces an existing file; FatFs refuses (FR_EXIST) */
	struct stat st;
	if (fat_stat(m, to, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		int r = to_errno(f_unlink(m->fs, to));
		if (r)
			return r;
	}
	return to_errno(f_rename(m->fs, from, to));
}

static int fat_mkdir(struct mount *m, const char *path)
{
	return to_errno(f_mkdir(m->fs, path));
}

static int fat_rmdir(struct mount *m, const char *path)
{
	struct stat st;
	int r = fat_stat(m, path, &st);
	if (r == 0 && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (r == 0) {
		r = to_errno(f_unlink(m->fs, path));
		if (r == -EACCES)
			r = -ENOTEMPTY; /* FatFs says FR_DENIED for a directory with entries */
	}
	return r;
}

static int fat_opendir(struct mount *m, const char *path, void **dir)
{
	FF_DIR *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	FRESULT r = f_opendir(m->fs, d, path);
	if (r != FR_OK) {
		free(d);
		return to_errno(r);
	}
	*dir = d;
	return 0;
}

static int fat_readdir(struct mount *m, void *dir, struct dirent *out)
{
	(void)m;
	FILINFO fi;
	FRESULT r = f_readdir(dir, &fi);
	if (r != FR_OK)
		return to_errno(r);
	if (!fi.fname[0])
		return 0;
	memset(out, 0, sizeof *out);
	strncpy(out->d_name, fi.fname, sizeof out->d_name - 1);
	out->d_type = (fi.fattrib & AM_DIR) ? DT_DIR : DT_REG;
	return 1;
}

static int fat_closedir(struct mount *m, void *dir)
{
	(void)m;
	FRESULT r = f_closedir(dir);
	free(dir);
	return to_errno(r);
}

static const struct fs_ops fat_ops = {
    .open = fat_open,
    .read = fat_read,
    .write = fat_write,
    .lseek = fat_lseek,
    .fsync = fat_fsync,
    .ftruncate = fat_ftruncate,
    .fstat = fat_fstat,
    .close = fat_close,
    .stat = fat_stat,
    .unlink = fat_unlink,
    .rename = fat_rename,
    .mkdir = fat_mkdir,
    .rmdir = fat_rmdir,
    .opendir = fat_opendir,
    .readdir = fat_readdir,
    .closedir = fat_closedir,
};

int fat_format_mount(struct mount *m)
{
	FATFS fs = {.drv = &m->vol};
	static uint8_t work[FF_MAX_SS];
	FRESULT r = f_mkfs(&fs, FM_FAT | FM_SFD, 0, work, sizeof work); /* FAT12/16, no MBR */
	return r == FR_OK ? fat_mount(m) : to_errno(r);
}

/* A boot slot (docs/update.md): FAT32 like the one uk build makes, 512-byte clusters so that a
 * 40 MiB slot stays above FAT32's cluster floor. The Pi firmware reads it from the MBR entry. */
int fat32_format_mount(struct mount *m)
{
	FATFS fs = {.drv = &m->vol};
	static uint8_t work[FF_MAX_SS];
	FRESULT r = f_mkfs(&fs, FM_FAT32 | FM_SFD, 512, work, sizeof work);
	return r == FR_OK ? fat_mount(m) : to_errno(r);
}

int fat_mount(struct mount *m)
{
	FATFS *fs = calloc(1, sizeof *fs);
	if (!fs)
		return -ENOMEM;
	fs->drv = &m->vol;
	FRESULT r = f_mount(fs);
	if (r != FR_OK) {
		free(fs);
		return to_errno(r);
	}
	m->fs = fs;
	m->ops = &fat_ops;
	return 0;
}
