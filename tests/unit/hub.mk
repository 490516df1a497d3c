# The hub class driver (runtime/drivers/usb/usb_hub.c) on the fake USB bus (shim/usb_model.c),
# with the hub's own requests answered by a model in test_usb_hub.c.
$(OUT)/test_usb_hub: test_usb_hub.c $(RT)/drivers/usb/usb_hub.c $(RT)/drivers/usb/usb.h \
		shim/usb_model.c shim/usb_model.h shim/sysreg.h fake_timer.c fake_timer.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -Ishim -I$(RT)/include -I$(RT)/drivers -I$(RT)/drivers/usb \
		$(filter %.c,$^) -o $@
