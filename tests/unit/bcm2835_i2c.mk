# The BSC I2C driver (runtime/drivers/bcm2835_i2c.c, #included by the test) against the bus
# model in test_bcm2835_i2c.c; shim_common/ first for its sysreg.h. The test provides the
# clock and yield the driver polls with.
$(OUT)/test_bcm2835_i2c: test_bcm2835_i2c.c $(RT)/drivers/bcm2835_i2c.c shim_common/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_common $(CFLAGS) -I$(RT)/drivers -I$(RT)/include test_bcm2835_i2c.c -o $@
