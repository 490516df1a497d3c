# uk/gpio.h on the Pi's GPIO block: kernel/gpio.c (linked) over drivers/bcm_gpio.c (#included
# by the test) against the register model in test_bcm_gpio.c; shim_common/ first for sysreg.h.
$(OUT)/test_bcm_gpio: test_bcm_gpio.c $(RT)/drivers/bcm_gpio.c $(RT)/kernel/gpio.c \
		$(RT)/include/uk/gpio.h shim_common/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_common $(CFLAGS) -I$(RT)/drivers -I$(RT)/include test_bcm_gpio.c \
		$(RT)/kernel/gpio.c -o $@
