/* ffconf_uk.h: uk's FatFs options (FatFs reads the header FFCONF_H names; runtime/Makefile sets
 * it to this file). Each value and why:
 *   read-write, full API, mkfs (formatting a damaged /boot is not offered, but kept available),
 *   long file names in a 512-byte stack buffer (cooperative threads have 16 KiB stacks),
 *   code page 437 (what mkfs.fat writes), 512-byte sectors, one volume per FATFS object (uk
 *   hands each mount its partition as the whole device), one shared sector window per volume
 *   (FF_FS_TINY: less memory per open file), no real-time clock yet (fixed file dates), no
 *   FatFs locking (uk's file layer runs one operation per mount at a time). */
#define FFCONF_DEF 86604 /* the FatFs revision these options are for */

#define FF_FS_READONLY	0
#define FF_FS_MINIMIZE	0
#define FF_USE_STRFUNC	0
#define FF_USE_FIND	0
#define FF_USE_MKFS	1
#define FF_USE_FASTSEEK 0
#define FF_USE_EXPAND	0
#define FF_USE_CHMOD	1
#define FF_USE_LABEL	0
#define FF_USE_FORWARD	0

#define FF_CODE_PAGE   437
#define FF_USE_LFN     2
#define FF_MAX_LFN     255
#define FF_LFN_UNICODE 0
#define FF_LFN_BUF     255
#define FF_SFN_BUF     12
#define FF_STRF_ENCODE 3
#define FF_FS_RPATH    0

#define FF_VOLUMES	   1
#define FF_STR_VOLUME_ID   0
#define FF_MULTI_PARTITION 0
#define FF_MIN_SS	   512
#define FF_MAX_SS	   512
#define FF_USE_TRIM	   0
#define FF_FS_NOFSINFO	   0

#define FF_FS_TINY	1
#define FF_FS_EXFAT	0
#define FF_FS_NORTC	1
#define FF_NORTC_MON	1
#define FF_NORTC_MDAY	1
#define FF_NORTC_YEAR	2026
#define FF_FS_LOCK	0
#define FF_FS_REENTRANT 0
#define FF_FS_TIMEOUT	1000
