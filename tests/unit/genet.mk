# The GENET v5 driver (runtime/drivers/genet.c and its PHY) against a register-level model:
# shim_genet/ comes first on the include path, so the driver's sysreg.h and dcache.h are the
# model's. The device trees: the Pi 4's own, and the one QEMU's raspi4b hands a guest.
GENET_SRC := $(RT)/drivers/genet.c $(RT)/drivers/bcm54213_phy.c shim_genet/genet_model.c fake_timer.c
GENET_DTB := $(UK_CACHE)/dtb/bcm2711-rpi-4-b.dtb

$(OUT)/test_genet: test_genet.c $(GENET_SRC) $(wildcard shim_genet/*.h) $(RT)/drivers/bcm54213_phy.h $(RT)/drivers/mii.h \
		fake_timer.h tap.h $(OUT)/raspi4b.dtb
	@mkdir -p $(OUT)
	$(CC) -Ishim_genet $(CFLAGS) -I$(RT)/drivers -I$(RT)/include \
		-DGENET_BOARD_DTB='"$(GENET_DTB)"' test_genet.c $(GENET_SRC) $(FDT) -o $@

$(OUT)/raspi4b.dtb: $(GENET_DTB)
	@mkdir -p $(OUT)
	qemu-system-aarch64 -M raspi4b,dumpdtb=$@ -m 2G -dtb $< -nic none -display none >/dev/null 2>&1
