# Mounting /data: runtime/fs/littlefs.c, fs/block_cache.c and fs/vfs.c's volumes with Debian's littlefs (the same
# source the runtime and the host tool build), on a RAM disk in test_littlefs_mount.c.
LITTLEFS := $(UK_CACHE)/src/micropython/tree/lib/littlefs
$(OUT)/test_littlefs_mount: test_littlefs_mount.c fake_lock.c $(RT)/fs/littlefs.c $(RT)/fs/block_cache.c \
		$(RT)/fs/vfs.c $(RT)/fs/littlefs_geometry.h $(RT)/fs/vfs.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -I$(RT)/fs -I$(RT)/include -I$(LITTLEFS) -DLFS2_NO_DEBUG -DLFS2_NO_WARN \
		-DLFS2_NO_ERROR test_littlefs_mount.c fake_lock.c $(RT)/fs/littlefs.c $(RT)/fs/block_cache.c \
		$(RT)/fs/vfs.c $(LITTLEFS)/lfs2.c $(LITTLEFS)/lfs2_util.c -o $@
