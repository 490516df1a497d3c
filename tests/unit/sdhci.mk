# The SD host controller driver (runtime/drivers/sdhci.c, #included by the test so its state can
# be reset between cases) against the SDHCI + SD card model in test_sdhci.c; shim_rng/ comes
# first on the include path for its sysreg.h (register accesses go to the model). The device
# trees: the Pi 3 B's, the Pi 4 B's, and the one QEMU's raspi4b hands a guest.
$(OUT)/test_sdhci: test_sdhci.c $(RT)/drivers/sdhci.c $(RT)/drivers/drivers.h $(RT)/kernel/devicetree.c \
		shim_rng/sysreg.h tap.h $(OUT)/raspi4b.dtb
	@mkdir -p $(OUT)
	$(CC) -Ishim_rng $(CFLAGS) -I$(RT)/drivers -I$(RT)/include \
		-DRPI3_DTB='"$(UK_CACHE)/dtb/bcm2837-rpi-3-b.dtb"' -DRPI4_DTB='"$(UK_CACHE)/dtb/bcm2711-rpi-4-b.dtb"' \
		-DRASPI4B_DTB='"$(OUT)/raspi4b.dtb"' test_sdhci.c $(RT)/kernel/devicetree.c $(FDT) -o $@
