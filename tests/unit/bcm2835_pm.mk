# The Pi's reset controller and watchdog (runtime/drivers/bcm2835_pm.c, #included by the test)
# against the PM block model in test_bcm2835_pm.c; shim_common/ first for its sysreg.h.
$(OUT)/test_bcm2835_pm: test_bcm2835_pm.c $(RT)/drivers/bcm2835_pm.c shim_common/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_common $(CFLAGS) -I$(RT)/drivers -I$(RT)/include test_bcm2835_pm.c -o $@
