# uk/gpio.h on QEMU virt's PL061: kernel/gpio.c (linked) over drivers/pl061.c (#included by the
# test) against the register model in test_pl061.c; shim_common/ first for sysreg.h.
$(OUT)/test_pl061: test_pl061.c $(RT)/drivers/pl061.c $(RT)/kernel/gpio.c \
		$(RT)/include/uk/gpio.h shim_common/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_common $(CFLAGS) -I$(RT)/drivers -I$(RT)/include test_pl061.c \
		$(RT)/kernel/gpio.c -o $@
