/*
 * Host tests for the virtio block driver (runtime/drivers/virtio_blk.c, #included so its state
 * can be reset between cases) over the real virtio-mmio transport (runtime/drivers/virtio_mmio.c),
 * against a model of a modern (version 2) virtio-mmio slot holding a block device (virtio 1.1
 * sections 4.2.2 and 5.2): when notified, the model takes the driver's request from the split
 * queue (header with type and sector, data, status byte), checks the descriptor chain, moves the
 * data to or from a backing buffer some ticks later and raises its interrupt, or answers as told:
 * with an error status, no status, a wrong descriptor id, or never.
 *
 * The driver reads its config space (the capacity) with plain loads from the slot's address, not
 * through mmio_read32: the test maps host memory at QEMU virt's virtio-mmio window for it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uk/thread.h>

#include "drivers.h"
#include "tap.h"
#include "virtio_mmio.h"
#include "virtio_mmio_model.h"

#define SLOT0	  0x0a000000ul
#define SLOTS	  32
#define BLK_SLOT  3
#define BASE	  (SLOT0 + BLK_SLOT * 0x200ul)
#define TICK_NS	  1000000ull /* the fake clock's step while a thread sleeps: 1 ms */
#define DISK_SECT 2000ull    /* the model disk: 1,024,000 bytes */
/* QEMU virt's window, as platform/virt/platform.c gives it */
static const struct virtio_mmio_window virt_slots = {
    .base = SLOT0, .slot_size = 0x200, .slots = SLOTS, .irq0 = 48};

#define F_RO	    (1ull << 5)
#define F_FLUSH	    (1ull << 9)
#define F_VERSION_1 (1ull << 32)
/* request types and status (5.2.6): the model's own, not the driver's */
#define T_IN	 0
#define T_OUT	 1
#define T_FLUSH	 4
#define S_OK	 0
#define S_IOERR	 1
#define S_UNSUPP 2
#define BOUND_NS 10000000000ull /* the driver's promise: a request unanswered after 10 s fails */

/* ---- the clock, semaphores, interrupts and console the driver uses ---- */
static uint64_t now_ns;
static void (*irq_fn)(void *);
static void *irq_arg;
static unsigned irq_no, irq_calls, sem_sleeps;

void irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	irq_no = irq;
	irq_fn = fn;
	irq_arg = arg;
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# console: ");
	vprintf(fmt, ap);
	va_end(ap);
}

static void model_tick(void);
static bool irq_line(void);

void uk_sem_init(struct uk_sem *s, unsigned long count)
{
	memset(s, 0, sizeof *s);
	s->count = count;
}
void uk_sem_post(struct uk_sem *s)
{
	s->count++;
}
/* A sleeping thread: the fake clock advances a tick at a time, the device works meanwhile and
 * its interrupt handler runs when it raises the line, until a unit is there or the timeout
 * ends (-ETIMEDOUT: so a device that never answers costs exactly the driver's bound). */
int uk_sem_wait(struct uk_sem *s, uint64_t timeout_ns)
{
	if (timeout_ns == 0 && s->count == 0)
		abort(); /* would wait forever */
	sem_sleeps++;
	uint64_t end = now_ns + timeout_ns;
	while (s->count == 0 && now_ns < end) {
		now_ns += TICK_NS;
		model_tick();
		if (irq_fn && irq_line()) {
			irq_calls++;
			irq_fn(irq_arg);
		}
	}
	if (s->count == 0)
		return -ETIMEDOUT;
	s->count--;
	return 0;
}

/* ---- the model ---- */
enum answer { OK, IOERR, UNSUPP, NO_STATUS, WRONG_ID, SILENT };
struct logged {
	uint32_t type;
	uint64_t sector;
	uint32_t len; /* data bytes */
};
static struct {
	struct virtio_mmio_model t; /* the transport (virtio_mmio_model.c) */
	uint64_t capacity;
	uint16_t seen_avail;
	enum answer answer;
	unsigned latency; /* ticks from the notification to the answer; 0: at once */
	bool pending;
	uint16_t pending_head;
	unsigned pending_ticks;
	unsigned requests;
	bool bad; /* a malformed chain, or a second request while one was in flight */
	char why[160];
	struct logged log[16];
	uint8_t *disk;
} dev;

static void model_notified(void);

static void model_reset(uint64_t offered, uint64_t capacity)
{
	uint8_t *disk = dev.disk;
	memset(&dev, 0, sizeof dev);
	dev.t = (struct virtio_mmio_model){.present = true,
					   .base = BASE,
					   .device_id = VIRTIO_ID_BLOCK,
					   .offered = offered | F_VERSION_1,
					   .notified = model_notified};
	dev.capacity = capacity;
	dev.latency = 3;
	dev.disk = disk;
	for (size_t i = 0; i < DISK_SECT * 512; i++)
		dev.disk[i] = (uint8_t)((i * 2654435761u) >> 13);
	uint8_t *config = (uint8_t *)(BASE + 0x100);
	for (unsigned i = 0; i < 8; i++)
		config[i] = (uint8_t)(capacity >> (8 * i));
}

static void bad(const char *fmt, ...)
{
	if (dev.bad)
		return;
	dev.bad = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dev.why, sizeof dev.why, fmt, ap);
	va_end(ap);
}

static volatile struct vring_desc *desc_at(uint16_t i)
{
	if (i >= dev.t.queue_num) {
		bad("descriptor %u beyond the queue's %u", i, dev.t.queue_num);
		return NULL;
	}
	return (volatile struct vring_desc *)(uintptr_t)dev.t.desc + i;
}

/* The device works on the chain at head: the transfer, the status byte, the used entry. */
static void complete(uint16_t head)
{
	volatile uint16_t *used = (volatile uint16_t *)(uintptr_t)dev.t.used;
	volatile struct vring_desc *h = desc_at(head), *data = NULL, *st;
	if (!h)
		return;
	if (h->len != 16 || (h->flags & VRING_DESC_F_WRITE) || !(h->flags & VRING_DESC_F_NEXT))
		return bad("header descriptor: len %u flags %#x", h->len, h->flags);
	const volatile uint32_t *hdr = (const volatile uint32_t *)(uintptr_t)h->addr;
	uint32_t type = hdr[0];
	uint64_t sector = hdr[2] | (uint64_t)hdr[3] << 32;
	if (!(st = desc_at(h->next)))
		return;
	if (type == T_IN || type == T_OUT) {
		data = st;
		uint16_t want = type == T_IN ? VRING_DESC_F_WRITE : 0;
		if (data->len == 0 || data->len % 512 || !(data->flags & VRING_DESC_F_NEXT) ||
		    (data->flags & VRING_DESC_F_WRITE) != want)
			return bad("data descriptor: type %u len %u flags %#x", type, data->len,
				   data->flags);
		if (!(st = desc_at(data->next)))
			return;
	}
	if (st->len != 1 || st->flags != VRING_DESC_F_WRITE)
		return bad("status descriptor: len %u flags %#x", st->len, st->flags);
	uint32_t len = data ? data->len : 0;
	if (dev.requests <= 16)
		dev.log[dev.requests - 1] = (struct logged){type, sector, len};

	uint8_t s = S_OK;
	if (type == T_IN || type == T_OUT) {
		if (sector > DISK_SECT || len / 512 > DISK_SECT - sector) {
			s = S_IOERR; /* as a real device answers */
		} else if (dev.answer == OK) {
			uint8_t *p = dev.disk + sector * 512,
				*buf = (uint8_t *)(uintptr_t)data->addr;
			if (type == T_IN)
				memcpy(buf, p, len);
			else
				memcpy(p, buf, len);
		}
	} else if (type != T_FLUSH) {
		s = S_UNSUPP;
	}
	if (dev.answer == IOERR)
		s = S_IOERR;
	if (dev.answer == UNSUPP)
		s = S_UNSUPP;
	if (dev.answer != NO_STATUS)
		*(volatile uint8_t *)(uintptr_t)st->addr = s;
	volatile struct vring_used_elem *e =
	    (volatile struct vring_used_elem *)(used + 2) + used[1] % dev.t.queue_num;
	e->id = dev.answer == WRONG_ID ? head + 1u : head;
	e->len = (type == T_IN ? len : 0) + 1;
	used[1]++;
	dev.t.int_status |= 1; /* used buffer notification */
}

static void model_notified(void)
{
	volatile uint16_t *avail = (volatile uint16_t *)(uintptr_t)dev.t.avail;
	while (dev.seen_avail != avail[1]) {
		uint16_t head = avail[2 + dev.seen_avail % dev.t.queue_num];
		dev.seen_avail++;
		dev.requests++;
		if (dev.pending)
			bad("a second request while one is in flight");
		dev.pending = true;
		dev.pending_head = head;
		dev.pending_ticks = 0;
		if (dev.latency == 0 && dev.answer != SILENT) {
			dev.pending = false;
			complete(head);
		}
	}
}

static void model_tick(void)
{
	if (dev.pending && dev.answer != SILENT && ++dev.pending_ticks >= dev.latency) {
		dev.pending = false;
		complete(dev.pending_head);
	}
}

static bool irq_line(void)
{
	return dev.t.int_status != 0;
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	return virtio_mmio_model_read(&dev.t, addr);
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	virtio_mmio_model_write(&dev.t, addr, v);
}

/* ---- the driver ---- */
#include "../../runtime/drivers/virtio_blk.c"

/* Forgets the driver's device (and frees what probe took), then probes a fresh model. */
static struct blockdev *fresh(uint64_t offered, uint64_t capacity)
{
	free((void *)vblk.vq.desc);
	free(vblk.header);
	free((void *)vblk.status);
	memset(&vblk, 0, sizeof vblk);
	irq_fn = NULL;
	model_reset(offered, capacity);
	return virtio_blk_probe(&virt_slots);
}

static uint8_t *disk_at(uint64_t lba)
{
	return dev.disk + lba * 512;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 31 + (i >> 9));
}

/* The queue memory the device shares with the driver, and the driver's header and status. */
static size_t snapshot(uint8_t *out)
{
	size_t n = 0, q = dev.t.queue_num;
	memcpy(out + n, (void *)(uintptr_t)dev.t.desc, 16 * q), n += 16 * q;
	memcpy(out + n, (void *)(uintptr_t)dev.t.avail, 6 + 2 * q), n += 6 + 2 * q;
	memcpy(out + n, (void *)(uintptr_t)dev.t.used, 6 + 8 * q), n += 6 + 8 * q;
	memcpy(out + n, vblk.header, sizeof *vblk.header), n += sizeof *vblk.header;
	out[n++] = *vblk.status;
	return n;
}

int main(void)
{
	void *window = mmap((void *)SLOT0, SLOTS * 0x200, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (window != (void *)SLOT0) {
		printf("not ok 1 - map the virtio-mmio window at %#lx on the host\n", SLOT0);
		printf("1..1\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0); /* what passed is seen even if a sanitizer stops us */
	dev.disk = malloc(DISK_SECT * 512);
	size_t big = 600 * 512;
	uint8_t *buf = malloc(big), *want = malloc(big);

	/* ---- probe ---- */
	model_reset(0, DISK_SECT);
	dev.t.present = false;
	CHECK(virtio_blk_probe(&virt_slots) == NULL,
	      "no block device in any slot: probe finds none");

	struct blockdev *bd = fresh(0, DISK_SECT);
	CHECK(bd != NULL && strcmp(bd->name, "virtio-blk") == 0,
	      "probe finds the device in slot %d", BLK_SLOT);
	CHECK(dev.t.status == 0xf, "status: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK (got %#x)",
	      dev.t.status);
	CHECK(dev.t.drv_feat[1] == 1 && dev.t.drv_feat[0] == 0,
	      "a device offering neither RO nor FLUSH: VERSION_1 only is negotiated");
	CHECK(dev.t.queue_sel == 0 && dev.t.ready == 1 && dev.t.queue_num >= 3 &&
		  dev.t.queue_num <= 8,
	      "request queue 0 set up within the device's maximum (%u entries)", dev.t.queue_num);
	CHECK(irq_fn != NULL && irq_no == 48 + BLK_SLOT,
	      "the interrupt handler is registered for the slot's SPI (INTID %u)", irq_no);
	CHECK(bd->blocks == DISK_SECT && !bd->read_only,
	      "capacity from config space: %llu sectors, writable", (unsigned long long)bd->blocks);
	CHECK(virtio_blk_probe(&virt_slots) == bd, "a second probe returns the same device");

	/* ---- reads and writes ---- */
	memset(buf, 0xaa, 4 * 512);
	unsigned irqs = irq_calls;
	CHECK(bd->read(7, 3, buf) == 0 && memcmp(buf, disk_at(7), 3 * 512) == 0 &&
		  buf[3 * 512] == 0xaa,
	      "read of 3 sectors at 7: byte-exact, nothing past the buffer");
	CHECK(dev.requests == 1 && dev.log[0].type == T_IN && dev.log[0].sector == 7 &&
		  dev.log[0].len == 3 * 512,
	      "one IN request, sector 7, 1536 bytes");
	CHECK(irq_calls > irqs && dev.t.acks > 0 && dev.t.int_status == 0,
	      "the device's answer arrives through the interrupt, which is acknowledged");

	memcpy(want, disk_at(19), 6 * 512);
	fill(want + 512, 4 * 512, 1);
	CHECK(bd->write(20, 4, want + 512) == 0 && memcmp(disk_at(19), want, 6 * 512) == 0,
	      "write of 4 sectors at 20 lands there, the sectors either side untouched");
	CHECK(dev.requests == 2 && dev.log[1].type == T_OUT && dev.log[1].sector == 20 &&
		  dev.log[1].len == 4 * 512,
	      "one OUT request, sector 20, 2048 bytes");
	memset(buf, 0, 4 * 512);
	CHECK(bd->read(20, 4, buf) == 0 && memcmp(buf, want + 512, 4 * 512) == 0,
	      "what was written reads back");

	dev.latency = 0;
	CHECK(bd->read(DISK_SECT - 1, 1, buf) == 0 && memcmp(buf, disk_at(DISK_SECT - 1), 512) == 0,
	      "the last sector reads (the device answering before the driver sleeps)");
	dev.latency = 3;

	/* split at MAX_BLOCKS_PER_REQUEST (256) */
	unsigned before = dev.requests;
	memcpy(want, disk_at(5), big);
	memset(buf, 0, big);
	CHECK(bd->read(5, 600, buf) == 0 && memcmp(buf, want, big) == 0,
	      "read of 600 sectors at 5: byte-exact");
	CHECK(dev.requests - before == 3 && dev.log[before].sector == 5 &&
		  dev.log[before].len == 256 * 512 && dev.log[before + 1].sector == 261 &&
		  dev.log[before + 1].len == 256 * 512 && dev.log[before + 2].sector == 517 &&
		  dev.log[before + 2].len == 88 * 512,
	      "split into 256 + 256 + 88 sectors at 5, 261, 517");
	before = dev.requests;
	fill(want, big, 77);
	uint8_t edge[2][512];
	memcpy(edge[0], disk_at(1399), 512);
	memcpy(edge[1], disk_at(1913), 512);
	CHECK(bd->write(1400, 513, want) == 0 && memcmp(disk_at(1400), want, 513 * 512) == 0 &&
		  memcmp(disk_at(1399), edge[0], 512) == 0 &&
		  memcmp(disk_at(1913), edge[1], 512) == 0,
	      "write of 513 sectors at 1400: byte-exact, neighbours untouched");
	CHECK(dev.requests - before == 3 && dev.log[before].type == T_OUT &&
		  dev.log[before].sector == 1400 && dev.log[before + 1].sector == 1656 &&
		  dev.log[before + 2].sector == 1912 && dev.log[before + 2].len == 512,
	      "split into 256 + 256 + 1 sectors at 1400, 1656, 1912");
	CHECK(!dev.bad,
	      "every chain well formed: header (16, read), data (device-writable only for "
	      "IN), status (1, writable), one request at a time%s%s",
	      dev.bad ? ": " : "", dev.why);

	/* ---- out of range: refused before any request ---- */
	before = dev.requests;
	unsigned notifies = dev.t.notifies;
	CHECK(bd->read(DISK_SECT, 1, buf) == -EINVAL, "read at lba = capacity: -EINVAL");
	CHECK(bd->read(DISK_SECT - 2, 3, buf) == -EINVAL, "read running past the end: -EINVAL");
	CHECK(bd->write(DISK_SECT - 1, 2, buf) == -EINVAL, "write running past the end: -EINVAL");
	CHECK(bd->read(UINT64_MAX, 1, buf) == -EINVAL, "read at lba 2^64-1: -EINVAL");
	CHECK(bd->read(1, UINT32_MAX, buf) == -EINVAL, "a count of 2^32-1: -EINVAL");
	CHECK(bd->write(DISK_SECT + 1, 0, buf) == -EINVAL,
	      "an empty write beyond the end: -EINVAL");
	CHECK(dev.requests == before && dev.t.notifies == notifies,
	      "none of them sent a request or rang the doorbell");
	CHECK(bd->read(DISK_SECT, 0, buf) == 0 && dev.requests == before,
	      "an empty read at the end: 0, nothing sent");

	/* ---- the device's status ---- */
	dev.answer = IOERR;
	CHECK(bd->read(0, 1, buf) == -EIO, "status IOERR on a read: -EIO");
	CHECK(bd->write(0, 1, buf) == -EIO, "status IOERR on a write: -EIO");
	dev.answer = UNSUPP;
	CHECK(bd->read(0, 1, buf) == -EIO, "status UNSUPP: -EIO");
	dev.answer = WRONG_ID;
	CHECK(bd->read(0, 1, buf) == -EIO, "an answer naming a descriptor never offered: -EIO");
	dev.answer = OK;
	before = dev.requests;
	CHECK(bd->read(0, 2, buf) == 0 && memcmp(buf, disk_at(0), 1024) == 0 &&
		  dev.requests == before + 1,
	      "the device behaves again: reads work");
	dev.answer = NO_STATUS; /* after a success: the status byte last held OK */
	CHECK(bd->read(0, 1, buf) == -EIO, "an answer without a status byte written: -EIO");
	dev.answer = OK;
	before = dev.requests;
	dev.answer = IOERR;
	CHECK(bd->read(100, 600, buf) == -EIO && dev.requests == before + 1,
	      "an error in the first part of a split read: -EIO, the rest not sent");
	dev.answer = OK;

	/* ---- FLUSH only when negotiated ---- */
	before = dev.requests;
	CHECK(bd->flush() == 0 && dev.requests == before,
	      "no FLUSH feature: flush is 0 and sends nothing (no write cache)");

	bd = fresh(F_FLUSH, DISK_SECT);
	CHECK(bd != NULL && dev.t.drv_feat[0] == F_FLUSH && dev.t.drv_feat[1] == 1,
	      "a device offering FLUSH: FLUSH and VERSION_1 negotiated");
	CHECK(bd->flush() == 0 && dev.requests == 1 && dev.log[0].type == T_FLUSH &&
		  dev.log[0].sector == 0 && dev.log[0].len == 0 && !dev.bad,
	      "flush sends one FLUSH request: header and status, no data%s%s", dev.bad ? ": " : "",
	      dev.why);
	dev.answer = IOERR;
	CHECK(bd->flush() == -EIO, "a FLUSH answered IOERR: -EIO");
	dev.answer = OK;

	/* ---- read-only ---- */
	bd = fresh(F_RO, DISK_SECT);
	CHECK(bd != NULL && bd->read_only && dev.t.drv_feat[0] == F_RO,
	      "a device offering RO: negotiated, the block device is read-only");
	memcpy(want, disk_at(3), 512);
	fill(buf, 512, 9);
	CHECK(bd->write(3, 1, buf) == -EROFS && dev.requests == 0 &&
		  memcmp(disk_at(3), want, 512) == 0,
	      "a write to it: -EROFS, nothing sent, the disk unchanged");
	CHECK(bd->read(3, 1, buf) == 0 && memcmp(buf, want, 512) == 0, "reads still work");

	/* ---- capacity: all 64 bits of config space, little-endian ---- */
	bd = fresh(0, 0x0123456789abcdefull);
	CHECK(bd != NULL && bd->blocks == 0x0123456789abcdefull,
	      "capacity 0x0123456789abcdef read from config space (got %#llx)",
	      bd ? (unsigned long long)bd->blocks : 0ull);

	/* ---- a device that never answers ---- */
	bd = fresh(F_FLUSH, DISK_SECT);
	dev.answer = SILENT;
	uint64_t t0 = now_ns;
	CHECK(bd->read(10, 2, buf) == -ETIMEDOUT, "a device that never answers: -ETIMEDOUT");
	CHECK(now_ns - t0 >= BOUND_NS && now_ns - t0 < BOUND_NS + 100 * TICK_NS,
	      "after the driver's 10 s bound (%llu ms)",
	      (unsigned long long)((now_ns - t0) / 1000000));
	static uint8_t ring_before[512], ring_after[512];
	size_t ring_bytes = snapshot(ring_before);
	before = dev.requests;
	notifies = dev.t.notifies;
	unsigned sleeps = sem_sleeps;
	t0 = now_ns;
	CHECK(bd->read(10, 2, buf) == -EIO, "then a read: -EIO");
	CHECK(bd->write(10, 2, buf) == -EIO, "a write: -EIO");
	CHECK(bd->flush() == -EIO, "a flush: -EIO");
	dev.answer = OK; /* even once it would answer again */
	CHECK(bd->read(0, 1, buf) == -EIO, "a read after the device recovers: still -EIO");
	snapshot(ring_after);
	CHECK(dev.requests == before && dev.t.notifies == notifies && dev.seen_avail == 1,
	      "none of them offered a request or rang the doorbell");
	CHECK(memcmp(ring_before, ring_after, ring_bytes) == 0,
	      "the descriptors, rings, header and status byte the device owns are untouched");
	CHECK(sem_sleeps == sleeps && now_ns == t0, "and none of them waited");

	fresh(0, DISK_SECT);
	free(vblk.header);
	free((void *)vblk.status);
	free((void *)vblk.vq.desc);
	free(buf);
	free(want);
	free(dev.disk);
	munmap(window, SLOTS * 0x200);
	return TAP_DONE();
}
