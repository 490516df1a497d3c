# The hardware RNG drivers against register-level models (shim_rng/ first on the include path,
# so the drivers' sysreg.h is the model's), and kernel/random.c (uk_random, getentropy) over
# mbed TLS's CTR_DRBG from the same Debian source the runtime builds, fed by fake hardware.
MBEDTLS := $(UK_CACHE)/src/mbedtls/tree
MBEDTLS_SRC := $(addprefix $(MBEDTLS)/library/,aes.c ctr_drbg.c sha256.c platform_util.c)
RNG_CFLAGS := -Ishim_rng $(CFLAGS) -I$(RT)/drivers -I$(RT)/include

$(OUT)/test_virtio_rng: test_virtio_rng.c virtio_mmio_model.c virtio_mmio_model.h \
		$(RT)/drivers/virtio_rng.c $(RT)/drivers/virtio_mmio.c \
		$(RT)/drivers/virtio_mmio.h shim_rng/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(RNG_CFLAGS) $(filter %.c,$^) -o $@

$(OUT)/test_bcm2835_rng: test_bcm2835_rng.c $(RT)/drivers/bcm2835_rng.c $(RT)/kernel/devicetree.c \
		shim_rng/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(RNG_CFLAGS) -DRPI3_DTB='"$(UK_CACHE)/dtb/bcm2837-rpi-3-b.dtb"' \
		$(filter %.c,$^) $(FDT) -o $@

$(OUT)/test_iproc_rng200: test_iproc_rng200.c $(RT)/drivers/iproc_rng200.c $(RT)/kernel/devicetree.c \
		shim_rng/sysreg.h tap.h $(OUT)/raspi4b.dtb
	@mkdir -p $(OUT)
	$(CC) $(RNG_CFLAGS) -DRPI4_DTB='"$(UK_CACHE)/dtb/bcm2711-rpi-4-b.dtb"' \
		-DRASPI4B_DTB='"$(OUT)/raspi4b.dtb"' $(filter %.c,$^) $(FDT) -o $@

# random.c is #included by the test (its state is reset between cases); mbed TLS builds with
# the runtime's configuration.
$(OUT)/test_random: test_random.c $(RT)/kernel/random.c $(RT)/kernel/mbedtls_config.h tap.h
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -I$(RT)/include -I$(MBEDTLS)/include -I$(MBEDTLS)/library \
		'-DMBEDTLS_CONFIG_FILE="mbedtls_config.h"' test_random.c $(MBEDTLS_SRC) -o $@
