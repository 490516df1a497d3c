# The DWC2 host controller driver (runtime/drivers/usb/dwc2.c) against a register-level model of
# the core in test_dwc2.c: shim_dwc2/ comes first on the include path, so the driver's sysreg.h
# and dcache.h are the model's.
$(OUT)/test_dwc2: test_dwc2.c $(RT)/drivers/usb/dwc2.c $(RT)/drivers/usb/usb.h $(wildcard shim_dwc2/*.h) tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_dwc2 $(CFLAGS) -I$(RT)/include -I$(RT)/drivers -I$(RT)/drivers/usb \
		test_dwc2.c $(RT)/drivers/usb/dwc2.c -o $@
