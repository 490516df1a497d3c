# Host test of the CDC-ECM class driver's fault handling on the fake USB bus of usb_chips.mk
# (shim/usb_model.c); named in full here, as this file is read before usb_chips.mk.
$(OUT)/test_cdc_ecm: test_cdc_ecm.c $(RT)/drivers/usb/cdc_ecm.c $(RT)/drivers/usb/usb_ether.c \
		$(RT)/drivers/usb/usb_ether.h $(RT)/drivers/mii.h shim/usb_model.c \
		shim/usb_model.h shim/sysreg.h fake_timer.c fake_timer.h tap.h $(RT)/drivers/usb/usb.h
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -Ishim -I$(RT)/include -I$(RT)/drivers -I$(RT)/drivers/usb \
		$(filter %.c,$^) -o $@
