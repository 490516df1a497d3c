# The virtio block driver (runtime/drivers/virtio_blk.c, #included by the test so its state can be
# reset between cases) over the real virtio-mmio transport, against the block device model in
# test_virtio_blk.c; shim_common/ comes first on the include path for its sysreg.h (register
# accesses go to the model).
$(OUT)/test_virtio_blk: test_virtio_blk.c virtio_mmio_model.c virtio_mmio_model.h \
		$(RT)/drivers/virtio_blk.c $(RT)/drivers/virtio_mmio.c \
		$(RT)/drivers/virtio_mmio.h $(RT)/drivers/drivers.h shim_common/sysreg.h tap.h
	@mkdir -p $(OUT)
	$(CC) -Ishim_common $(CFLAGS) -I$(RT)/drivers -I$(RT)/include \
		test_virtio_blk.c virtio_mmio_model.c $(RT)/drivers/virtio_mmio.c -o $@
