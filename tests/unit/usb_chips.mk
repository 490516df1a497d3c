# Host tests of the USB Ethernet chip drivers against register-level models of the chips, on a
# fake USB bus (shim/usb_model.c) that stands in for usb_core.c, dwc2.c and the kernel services.
# shim/ also replaces arch/aarch64/sysreg.h, whose interrupt masking is inline assembly.
USB_CFLAGS = $(CFLAGS) -Ishim -I$(RT)/include -I$(RT)/drivers -I$(RT)/drivers/usb
USB_MODEL = shim/usb_model.c shim/usb_model.h shim/sysreg.h fake_timer.c fake_timer.h tap.h
USB_CHIP_MODEL = shim/usb_ether_model.c shim/usb_ether_model.h shim/usb_ether_checks.h
USB_ETHER = $(RT)/drivers/usb/usb_ether.c $(RT)/drivers/usb/usb_ether.h $(RT)/drivers/mii.h

$(OUT)/test_smsc95xx: test_smsc95xx.c $(RT)/drivers/usb/smsc95xx.c $(USB_ETHER) $(USB_MODEL) $(USB_CHIP_MODEL) \
		$(RT)/drivers/usb/usb.h
	@mkdir -p $(OUT)
	$(CC) $(USB_CFLAGS) $(filter %.c,$^) -o $@

$(OUT)/test_lan78xx: test_lan78xx.c $(RT)/drivers/usb/lan78xx.c $(USB_ETHER) $(USB_MODEL) $(USB_CHIP_MODEL) \
		$(RT)/drivers/usb/usb.h
	@mkdir -p $(OUT)
	$(CC) $(USB_CFLAGS) $(filter %.c,$^) -o $@

# usb_core.c's list of network devices and its usb-net link thread, on stand-ins.
$(OUT)/test_usb_net: test_usb_net.c $(RT)/drivers/usb/usb_core.c $(RT)/drivers/usb/usb.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -I$(RT)/include -I$(RT)/drivers -I$(RT)/drivers/usb \
		$(filter %.c,$^) -o $@
