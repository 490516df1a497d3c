# The GENET v5 driver (runtime/drivers/genet.c and its PHY) against a register-level model:
# shim_genet/ comes first on the include path, so the driver's sysreg.h and dcache.h are the
# model's.
GENET_SRC := $(RT)/drivers/genet.c $(RT)/drivers/bcm54213_phy.c shim_genet/genet_model.c

$(OUT)/test_genet: test_genet.c $(GENET_SRC) $(wildcard shim_genet/*.h) $(RT)/drivers/bcm54213_phy.h tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_genet $(CFLAGS) -I$(RT)/drivers -I$(RT)/include test_genet.c $(GENET_SRC) -o $@
