/*
 * The on-disk geometry of /data's littlefs: one home for the runtime, which mounts it
 * (fs/littlefs.c), and the host tool, which makes and seeds it (cli/pipeline/data_image.c).
 *
 * 8 KiB blocks: littlefs reads a file one block at a time and walks its skip list per block,
 * and copies the last, partial block on every append after a sync, so small blocks make large
 * files slow and large blocks make fsync'ed appends slow; 8 KiB was the best of 4, 8, 16 and
 * 64 KiB for both on virtio-blk (docs/bench.md). Reads and writes go in 512-byte units, the
 * sector size of every card and disk uk drives.
 */
#ifndef UK_FS_LITTLEFS_GEOMETRY_H
#define UK_FS_LITTLEFS_GEOMETRY_H

#define UK_LFS_BLOCK_SIZE 8192
/* Partitions made by uk before the change to 8 KiB: still mounted, never made any more. */
#define UK_LFS_OLD_BLOCK_SIZE 4096
#define UK_LFS_IO_SIZE	      512
/* How many times a metadata block is rewritten before littlefs moves it (wear levelling). */
#define UK_LFS_BLOCK_CYCLES 500
/* The allocator's bitmap, in bytes (8 blocks per byte, a multiple of 8): the whole partition
 * where it fits in 8 KiB (512 MiB), so a large write does not rescan every file for free
 * blocks once per 64 bytes of bitmap. */
#define UK_LFS_LOOKAHEAD(blocks) ((blocks) > 65536 ? 8192 : ((blocks) + 63) / 64 * 8)

#endif
