# The A/B card's autoboot.txt rules (runtime/fs/slots.c), which decide the slot /boot is.
$(OUT)/test_slots: test_slots.c fake_lock.c $(RT)/fs/slots.c $(RT)/fs/vfs.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -I$(RT)/fs -I$(RT)/include test_slots.c fake_lock.c $(RT)/fs/slots.c -o $@
