# SPI0 (runtime/drivers/bcm2835_spi.c, #included by the test) against the controller and SPI
# flash model in test_bcm2835_spi.c; shim_common/ first for its sysreg.h.
$(OUT)/test_bcm2835_spi: test_bcm2835_spi.c $(RT)/drivers/bcm2835_spi.c shim_common/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_common $(CFLAGS) -I$(RT)/drivers -I$(RT)/include test_bcm2835_spi.c -o $@
