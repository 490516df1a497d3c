# The card's block cache (runtime/fs/block_cache.c, #included by the test so its state can be
# reset between cases) against the RAM disk model in test_block_cache.c.
$(OUT)/test_block_cache: test_block_cache.c fake_lock.c $(RT)/fs/block_cache.c $(RT)/fs/vfs.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -I$(RT)/fs -I$(RT)/include test_block_cache.c fake_lock.c -o $@
