# The VideoCore mailbox driver (runtime/drivers/bcm_mailbox.c) and the Pi's USB power-on
# (runtime/platform/rpi/usb_power.c) against a model of the two mailbox FIFOs and the
# firmware's property channel, in test_bcm_mailbox.c. shim_mbox/ comes first on the include
# path, so the driver's sysreg.h and dcache.h are the model's.
$(OUT)/test_bcm_mailbox: test_bcm_mailbox.c $(RT)/drivers/bcm_mailbox.c $(RT)/platform/rpi/usb_power.c \
		$(RT)/drivers/drivers.h $(RT)/platform/rpi/rpi.h $(wildcard shim_mbox/*.h) tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_mbox $(CFLAGS) -I$(RT)/drivers -I$(RT)/platform/rpi -I$(RT)/include \
		$(filter %.c,$^) -o $@
