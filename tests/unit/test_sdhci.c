/*
 * Host tests for the SD host controller driver (runtime/drivers/sdhci.c) against a model of an
 * SDHCI 3.00 controller (SD Host Controller Simplified Specification, the registers as 32-bit
 * words, as the Pi's Arasan takes them) with an SD card behind it (SD Physical Layer Simplified
 * Specification: the identification state machine, CMD8/ACMD41/CMD2/CMD3/CMD9/CMD7, ACMD51 and
 * ACMD6, CMD16/17/18/24/25 and (auto) CMD12, R1 status). The model can leave out the card, make
 * commands time out or fail their CRC, time out or corrupt data, report card status errors, stick
 * in reset, never stabilise its clock, and hold a write's busy signal so the driver must sleep
 * until the interrupt. It also checks what the Pi needs: register writes 10 us apart while the
 * SD clock is at identification speed, and the identification clock at most 400 kHz.
 * The device trees: which controllers the Pi 3 and Pi 4 trees (and QEMU's raspi4b) enable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/thread.h>

#include "drivers.h"
#include "tap.h"

#define BASE	   0x3f300000ul
#define BLOCKS	   4096 /* the model card's size: 2 MiB */
#define BASE_CLOCK 50000000u

/* ---- the clock, semaphores, interrupts and console the driver uses ---- */
static uint64_t now_ns;
uint64_t uk_now_ns(void)
{
	return now_ns += 1000;
}

static void (*irq_fn)(void *);
static unsigned irq_no, irq_calls, sem_sleeps;
void irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	(void)arg;
	irq_no = irq;
	irq_fn = fn;
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	va_end(ap);
}

static bool irq_line(void);
static void model_tick(void);

void uk_sem_init(struct uk_sem *s, unsigned long count)
{
	memset(s, 0, sizeof *s);
	s->count = count;
}
void uk_sem_post(struct uk_sem *s)
{
	s->count++;
}
/* A sleeping thread: time passes until the model raises its interrupt line (the handler then
 * runs, as the interrupt controller would call it) or the timeout ends. */
int uk_sem_wait(struct uk_sem *s, uint64_t timeout_ns)
{
	if (timeout_ns == 0 && s->count == 0)
		abort(); /* would wait forever */
	sem_sleeps++;
	uint64_t end = now_ns + timeout_ns;
	while (s->count == 0 && now_ns < end) {
		now_ns += 1000;
		model_tick();
		if (irq_fn && irq_line()) {
			irq_calls++;
			irq_fn(NULL);
		}
	}
	if (s->count == 0)
		return -ETIMEDOUT;
	s->count--;
	return 0;
}

/* ---- the model ---- */
enum state { IDLE, READY, IDENT, STBY, TRAN, DATA };
static struct {
	/* controller */
	uint32_t block, arg, cmd, resp[4], host, clock, status, int_en, int_sig, caps, version;
	/* card */
	bool no_card, v1, hc, only_1bit, app;
	enum state state;
	unsigned acmd41_busy; /* ACMD41 answers busy this many times */
	uint32_t bus_width, blocklen_set;
	uint8_t *disk;
	/* transfer in progress */
	bool xfer, xfer_write, auto12;
	uint32_t xfer_left, xfer_lba, word, buf[128], words_per_block;
	uint64_t busy_until; /* a write's busy signal ends then: transfer complete */
	/* faults */
	unsigned timeout_cmd, timeout_count; /* this command index times out count times */
	unsigned crc_cmd, crc_count;
	unsigned data_crc_count, data_timeout_count;
	uint32_t r1_error; /* added to data commands' R1 */
	bool reset_stuck, clock_unstable, bad_echo, card_detect_clear;
	/* what the driver did */
	unsigned cmds[64], commands, fast_writes, no_clock_cmds, underruns, stops_in_data;
	uint32_t last_arg[64], last_tm[64], last_blkcnt[64];
	uint32_t id_hz_max, data_hz;
	uint64_t last_write_ns;
} m;

static uint32_t sd_hz(void)
{
	uint32_t n = (m.clock >> 8 & 0xff) | (m.clock >> 6 & 3) << 8;
	return n ? BASE_CLOCK / (2 * n) : BASE_CLOCK;
}

static bool irq_line(void)
{
	return (m.status & m.int_sig) != 0;
}

static void set_status(uint32_t bits)
{
	m.status |= bits & (m.int_en | 0x8000);
	if (m.status & 0xffff0000u)
		m.status |= 0x8000;
}

static void model_tick(void)
{
	if (m.busy_until && now_ns >= m.busy_until) {
		m.busy_until = 0;
		set_status(1u << 1);
	}
}

static uint32_t card_status(void)
{
	return (uint32_t)m.state << 9 | (m.app ? 1u << 5 : 0);
}

/* The CSD (version 2.0 for high capacity, 1.0 otherwise) as an R2's response registers: bits
 * 127:8 of it shifted down by 8. */
static void csd(uint32_t r[4])
{
	uint32_t c[4] = {0}; /* c[0] = bits 31:0 ... c[3] = 127:96 */
#define SETBITS(hi, lo, v)                                                                         \
	for (unsigned b = lo; b <= hi; b++)                                                        \
		if ((uint64_t)(v) >> (b - lo) & 1)                                                 \
			c[b / 32] |= 1u << (b % 32);
	if (m.hc) {
		SETBITS(127, 126, 1);
		SETBITS(69, 48, BLOCKS / 1024 - 1); /* (C_SIZE + 1) x 512 KiB */
	} else {
		/* 2 MiB = (C_SIZE + 1) x 2^(C_SIZE_MULT + 2) x 2^READ_BL_LEN: 1024 x 4 x 512 */
		SETBITS(83, 80, 9);
		SETBITS(73, 62, 1023);
		SETBITS(49, 47, 0);
	}
	for (int i = 0; i < 4; i++)
		r[i] = c[i] >> 8 | (i < 3 ? c[i + 1] << 24 : 0);
}

static void load_block(void)
{
	if (m.data_timeout_count) {
		m.data_timeout_count--;
		set_status(1u << 20);
		return;
	}
	if (m.data_crc_count) {
		m.data_crc_count--;
		set_status(1u << 21);
		return;
	}
	if (m.xfer_write) {
		set_status(1u << 4);
	} else {
		memcpy(m.buf, m.disk + (size_t)m.xfer_lba * 512, 512);
		set_status(1u << 5);
	}
	m.word = 0;
}

static void end_block(void)
{
	if (m.xfer_write)
		memcpy(m.disk + (size_t)m.xfer_lba * 512, m.buf, 512);
	m.xfer_lba++;
	if (--m.xfer_left) {
		load_block();
		return;
	}
	m.xfer = false;
	m.state = TRAN; /* auto CMD12 (or the single block's end) */
	if (m.xfer_write)
		m.busy_until = now_ns + 5000000; /* 5 ms of programming */
	else
		set_status(1u << 1);
}

static void model_command(void)
{
	unsigned index = m.cmd >> 24 & 0x3f, rsp = m.cmd >> 16 & 3, tm = m.cmd & 0xffff;
	bool app = m.app;
	m.app = false;
	m.commands++;
	m.cmds[index]++;
	m.last_arg[index] = m.arg;
	m.last_tm[index] = tm;
	m.last_blkcnt[index] = m.block >> 16;
	if ((m.clock & 5) != 5) {
		m.no_clock_cmds++; /* QEMU's model ignores a command without the SD clock */
		return;
	}
	if (m.xfer && index != 12)
		m.stops_in_data++; /* a command while data moves */
	uint32_t timeout = 1u << 16 | 1u << 0, ok = 1u << 0;
	if (m.no_card || (index == m.timeout_cmd && m.timeout_count && m.timeout_count--)) {
		set_status(rsp ? timeout : ok);
		return;
	}
	if (index == m.crc_cmd && m.crc_count && m.crc_count--) {
		set_status(1u << 17 | 1u << 0);
		return;
	}
	memset(m.resp, 0, sizeof m.resp);
	switch (app ? 100 + index : index) {
	case 0:
		m.state = IDLE;
		break;
	case 8:
		if (m.v1) {
			set_status(timeout);
			return;
		}
		m.resp[0] = m.bad_echo ? 0x1bb : (m.arg & 0xfff);
		break;
	case 55:
		m.app = true;
		m.resp[0] = card_status() | 1u << 5;
		break;
	case 141: {
		bool ready = !m.acmd41_busy && (!m.hc || (m.arg & (1u << 30)));
		if (m.acmd41_busy)
			m.acmd41_busy--;
		m.resp[0] = 0x00ff8000u | (ready ? 1u << 31 : 0) | (ready && m.hc ? 1u << 30 : 0);
		if (ready)
			m.state = READY;
		break;
	}
	case 2:
		m.state = IDENT;
		m.resp[0] = 0x12345678;
		break;
	case 3:
		m.state = STBY;
		m.resp[0] = 0xb3680000u | card_status();
		break;
	case 9:
		csd(m.resp);
		break;
	case 7:
		m.state = (m.arg >> 16) == 0xb368 ? TRAN : STBY;
		m.resp[0] = card_status();
		set_status(1u << 1); /* R1b: busy over */
		break;
	case 16:
		m.blocklen_set = m.arg;
		m.resp[0] = card_status();
		break;
	case 106:
		m.bus_width = m.arg & 3;
		m.resp[0] = card_status();
		break;
	case 151: /* SCR: bus widths in bits 51:48 */
		m.resp[0] = card_status();
		m.buf[0] = (uint32_t)(m.only_1bit ? 0x01 : 0x05) << 8 | 0x02;
		m.buf[1] = 0;
		m.xfer = true, m.xfer_write = false, m.xfer_left = 1, m.word = 0;
		m.words_per_block = 2;
		set_status(1u << 0 | 1u << 5);
		return;
	case 12:
		m.xfer = false;
		m.state = TRAN;
		m.resp[0] = card_status();
		set_status(1u << 1);
		break;
	case 17:
	case 18:
	case 24:
	case 25: {
		uint32_t lba = m.hc ? m.arg : m.arg / 512;
		bool multi = index == 18 || index == 25;
		uint32_t n = multi ? m.block >> 16 : 1;
		m.resp[0] = card_status() | m.r1_error;
		if ((!m.hc && m.arg % 512) || lba + n > BLOCKS)
			m.resp[0] |= 1u << 31; /* OUT_OF_RANGE */
		if (m.resp[0] & 0xfdf80000u) {
			set_status(ok);
			return;
		}
		m.state = DATA;
		m.xfer = true, m.xfer_write = index >= 24, m.xfer_left = n, m.xfer_lba = lba;
		m.auto12 = tm & (1u << 2);
		m.words_per_block = (m.block & 0xfff) / 4;
		set_status(ok);
		load_block();
		return;
	}
	default:
		set_status(timeout);
		return;
	}
	set_status(ok);
}

static void check_spacing(void)
{
	if (sd_hz() <= 400000 && (m.clock & 4) && now_ns - m.last_write_ns < 10000)
		m.fast_writes++;
	m.last_write_ns = now_ns;
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	model_tick();
	switch (addr - BASE) {
	case 0x04:
		return m.block;
	case 0x08:
		return m.arg;
	case 0x0c:
		return m.cmd;
	case 0x10:
	case 0x14:
	case 0x18:
	case 0x1c:
		return m.resp[(addr - BASE - 0x10) / 4];
	case 0x20:
		if (!m.xfer || m.xfer_write) {
			m.underruns++;
			return 0;
		}
		{
			uint32_t w = m.buf[m.word++];
			if (m.word == m.words_per_block) {
				if (m.words_per_block == 2) {
					m.xfer = false;
					set_status(1u << 1);
				} else {
					end_block();
				}
			}
			return w;
		}
	case 0x24:
		return (m.xfer || m.busy_until ? 2u : 0) |
		       (m.no_card || m.card_detect_clear ? 0 : 1u << 16);
	case 0x28:
		return m.host;
	case 0x2c:
		return m.clock;
	case 0x30:
		return m.status;
	case 0x34:
		return m.int_en;
	case 0x38:
		return m.int_sig;
	case 0x40:
		return m.caps;
	case 0xfc:
		return m.version;
	}
	return 0;
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	model_tick();
	switch (addr - BASE) {
	case 0x04:
		check_spacing();
		m.block = v;
		break;
	case 0x08:
		check_spacing();
		m.arg = v;
		break;
	case 0x0c:
		check_spacing();
		m.cmd = v;
		model_command();
		break;
	case 0x20:
		if (!m.xfer || !m.xfer_write) {
			m.underruns++;
			break;
		}
		m.buf[m.word++] = v;
		if (m.word == m.words_per_block)
			end_block();
		break;
	case 0x28:
		check_spacing();
		m.host = v;
		break;
	case 0x2c:
		check_spacing();
		if (v & (7u << 24)) {
			if (m.reset_stuck) {
				m.clock = v;
				break;
			}
			if (v & (1u << 24)) { /* reset all */
				m.host = m.status = m.int_en = m.int_sig = m.block = 0;
				v = 0;
			}
			m.xfer = false;
			m.busy_until = 0;
			v &= ~(7u << 24);
		}
		m.clock = v;
		if ((v & 1) && !m.clock_unstable)
			m.clock |= 2;
		if (v & 4) {
			uint32_t hz = sd_hz();
			if (m.state == IDLE && hz > m.id_hz_max)
				m.id_hz_max = hz;
			m.data_hz = hz;
		}
		break;
	case 0x30:
		m.status &= ~v;
		if (!(m.status & 0xffff0000u))
			m.status &= ~0x8000u;
		break;
	case 0x34:
		check_spacing();
		m.int_en = v;
		break;
	case 0x38:
		m.int_sig = v;
		break;
	}
}

/* A fresh controller and card: SDHC unless told otherwise. */
static void fresh(bool hc)
{
	free(m.disk);
	memset(&m, 0, sizeof m);
	m.hc = hc;
	m.version = 2u << 16; /* 3.00 */
	m.caps = 0x052134b4;  /* QEMU's raspi capabilities: base clock 0x34 = 52 MHz */
	m.disk = malloc((size_t)BLOCKS * 512);
	for (size_t i = 0; i < (size_t)BLOCKS * 512; i++)
		m.disk[i] = (uint8_t)(i * 7 + i / 512);
	irq_fn = NULL;
	irq_calls = sem_sleeps = 0;
}

static const struct sdhci_config cfg = {
    .name = "emmc", .base = BASE, .irq = 0, .base_clock_hz = BASE_CLOCK};

/* The driver keeps its card once found; these tests need a new probe each time. sdhci.c is
 * #included below so its state can be reset. */
#include "../../runtime/drivers/sdhci.c"

static struct blockdev *probe(const struct sdhci_config *c)
{
	memset(&sd, 0, sizeof sd);
	return sdhci_probe(c);
}

static void *load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	if (!n) {
		free(buf);
		return NULL;
	}
	return buf;
}

int main(void)
{
	static uint8_t buf[64 * 512], want[64 * 512];

	/* ---- the device trees decide which controllers are asked ---- */
	void *pi3 = load(RPI3_DTB), *pi4 = load(RPI4_DTB), *raspi4b = load(RASPI4B_DTB);
	CHECK(pi3 && dt_device_enabled(pi3, "brcm,bcm2835-sdhci") &&
		  dt_device_enabled(pi3, "brcm,bcm2835-sdhost"),
	      "Pi 3 B tree: the Arasan (Wi-Fi) and SDHOST (the card) enabled: the pins move over");
	CHECK(pi4 && dt_device_enabled(pi4, "brcm,bcm2711-emmc2") &&
		  !dt_device_enabled(pi4, "brcm,bcm2835-sdhost"),
	      "Pi 4 B tree: EMMC2 enabled, SDHOST not");
	CHECK(raspi4b && dt_device_enabled(raspi4b, "brcm,bcm2711-emmc2") &&
		  dt_device_enabled(raspi4b, "brcm,bcm2835-sdhci"),
	      "QEMU's raspi4b tree keeps EMMC2 and the Arasan: both are asked, EMMC2 first");
	free(pi3), free(pi4), free(raspi4b);

	/* ---- an SDHC card ---- */
	fresh(true);
	m.acmd41_busy = 3;
	struct blockdev *bd = probe(&cfg);
	CHECK(bd && bd->blocks == BLOCKS && !bd->read_only, "SDHC: found, %d blocks from CSD 2.0",
	      BLOCKS);
	CHECK(m.cmds[0] == 1 && m.cmds[8] == 1 && m.last_arg[8] == 0x1aa,
	      "CMD0, then CMD8 with 2.7-3.6 V and pattern 0xaa");
	CHECK(m.cmds[41] == 4 && (m.last_arg[41] & (1u << 30)) && (m.last_arg[41] & 0x00ff8000u),
	      "ACMD41 with HCS and the voltage window, repeated while the card is busy");
	CHECK(m.cmds[2] == 1 && m.cmds[3] == 1 && m.cmds[9] == 1 && m.last_arg[9] == 0xb3680000u,
	      "CMD2, CMD3, CMD9 at the card's RCA");
	CHECK(m.cmds[7] == 1 && m.state == TRAN, "CMD7 selects the card: transfer state");
	CHECK(m.cmds[16] == 0, "no CMD16 for a high-capacity card (fixed 512-byte blocks)");
	CHECK(m.cmds[51] == 1 && m.cmds[6] == 1 && m.bus_width == 2 && (m.host & 2),
	      "SCR says 4-bit: ACMD6 and the host's 4-bit mode");
	CHECK(m.id_hz_max > 0 && m.id_hz_max <= 400000, "identification at %u Hz (at most 400 kHz)",
	      m.id_hz_max);
	CHECK(m.data_hz <= 25000000 && m.data_hz >= 12500000, "then %u Hz (at most 25 MHz)",
	      m.data_hz);
	CHECK(m.fast_writes == 0, "register writes 10 us apart at identification speed");
	CHECK(m.no_clock_cmds == 0, "every command with the SD clock on");
	CHECK(m.int_sig == 0, "probed with interrupt signals off");

	CHECK(bd->read(100, 1, buf) == 0 && memcmp(buf, m.disk + 100 * 512, 512) == 0 &&
		  m.cmds[17] == 1 && m.last_arg[17] == 100,
	      "one block: CMD17 at block address 100");
	CHECK(bd->read(200, 40, buf) == 0 && memcmp(buf, m.disk + 200 * 512, 40 * 512) == 0 &&
		  m.cmds[18] == 1 && m.last_arg[18] == 200 && m.last_blkcnt[18] == 40 &&
		  (m.last_tm[18] & 0x36) == 0x36,
	      "40 blocks: one CMD18, block count 40, multi-block read with auto CMD12");
	for (size_t i = 0; i < sizeof want; i++)
		want[i] = (uint8_t)(i ^ 0x5a);
	CHECK(bd->write(300, 3, want) == 0 && memcmp(m.disk + 300 * 512, want, 3 * 512) == 0 &&
		  m.cmds[25] == 1 && (m.last_tm[25] & 0x36) == 0x26,
	      "3 blocks written: one CMD25 with auto CMD12");
	CHECK(bd->write(400, 1, want) == 0 && m.cmds[24] == 1 &&
		  memcmp(m.disk + 400 * 512, want, 512) == 0,
	      "one block written: CMD24");
	CHECK(m.underruns == 0 && m.stops_in_data == 0,
	      "the data port only while the buffer is ready; no command while data moves");
	CHECK(bd->read(BLOCKS - 1, 2, buf) == -EINVAL && bd->read(BLOCKS - 1, 1, buf) == 0,
	      "beyond the card: -EINVAL; its last block reads");
	CHECK(bd->flush() == 0, "flush: nothing cached");

	/* ---- errors during transfers ---- */
	m.timeout_cmd = 18, m.timeout_count = 1;
	CHECK(bd->read(10, 4, buf) == 0 && memcmp(buf, m.disk + 10 * 512, 4 * 512) == 0,
	      "a command timeout once: the retry reads the data");
	m.timeout_count = 100;
	uint64_t t0 = now_ns;
	CHECK(bd->read(10, 4, buf) == -ETIMEDOUT, "CMD18 never answered: -ETIMEDOUT");
	CHECK(now_ns - t0 < 2000000000ull, "within %llu ms",
	      (unsigned long long)(now_ns - t0) / 1000000);
	m.timeout_count = 0;
	m.crc_cmd = 17, m.crc_count = 100;
	CHECK(bd->read(10, 1, buf) == -EIO, "command CRC error every time: -EIO");
	m.crc_count = 0;
	m.data_crc_count = 1;
	CHECK(bd->read(20, 8, buf) == 0 && memcmp(buf, m.disk + 20 * 512, 8 * 512) == 0,
	      "a data CRC error once: the retry reads the data");
	m.data_crc_count = 100;
	CHECK(bd->read(20, 8, buf) == -EIO, "data CRC error every time: -EIO");
	CHECK(m.state == TRAN,
	      "after a failed multi-block read the card is back in transfer state");
	m.data_crc_count = 0;
	m.data_timeout_count = 100;
	CHECK(bd->write(20, 8, want) == -ETIMEDOUT, "data timeout every time: -ETIMEDOUT");
	m.data_timeout_count = 0;
	CHECK(bd->read(20, 8, buf) == 0 && memcmp(buf, m.disk + 20 * 512, 8 * 512) == 0,
	      "and the next read works");
	m.r1_error = 1u << 26; /* WP_VIOLATION */
	CHECK(bd->write(30, 2, want) == -EIO,
	      "the card's R1 reports a write-protect violation: -EIO");
	m.r1_error = 0;

	/* ---- the interrupt: a write's busy time is slept through ---- */
	fresh(true);
	struct sdhci_config with_irq = cfg;
	with_irq.irq = 62;
	bd = probe(&with_irq);
	CHECK(bd && irq_no == 62 && irq_fn, "the interrupt is registered once the card is up");
	unsigned sleeps = sem_sleeps;
	CHECK(bd->write(500, 4, want) == 0 && memcmp(m.disk + 500 * 512, want, 4 * 512) == 0,
	      "a write with 5 ms of card busy time completes");
	CHECK(sem_sleeps > sleeps && irq_calls > 0 && m.int_sig == 0,
	      "the thread slept; the interrupt woke it and turned the signals off");

	/* ---- an SDSC card: byte addresses ---- */
	fresh(false);
	bd = probe(&cfg);
	CHECK(bd && bd->blocks == BLOCKS, "SDSC: found, %d blocks from CSD 1.0", BLOCKS);
	CHECK(m.cmds[16] == 1 && m.blocklen_set == 512, "CMD16 sets 512-byte blocks");
	CHECK(bd->read(7, 2, buf) == 0 && m.last_arg[18] == 7 * 512 &&
		  memcmp(buf, m.disk + 7 * 512, 1024) == 0,
	      "reads at byte address 7 x 512");

	/* ---- a 1.x card: no answer to CMD8, so no HCS ---- */
	fresh(false);
	m.v1 = true;
	m.only_1bit = true;
	bd = probe(&cfg);
	CHECK(bd && !(m.last_arg[41] & (1u << 30)), "1.x card: found; ACMD41 without HCS");
	CHECK(m.cmds[6] == 0 && !(m.host & 2), "SCR says 1-bit only: no ACMD6, 1-bit bus");

	/* ---- no card, broken cards and controllers: NULL, in bounded time ---- */
	fresh(true);
	m.no_card = true;
	t0 = now_ns;
	CHECK(probe(&cfg) == NULL, "no card: NULL");
	CHECK(now_ns - t0 < 1000000000ull, "in %llu ms",
	      (unsigned long long)(now_ns - t0) / 1000000);
	fresh(true);
	m.card_detect_clear = true;
	struct sdhci_config cd = cfg;
	cd.card_detect = true;
	CHECK(probe(&cd) == NULL && m.commands == 0,
	      "card-detect trusted and clear: NULL without a command");
	fresh(true);
	m.card_detect_clear = true;
	CHECK(probe(&cfg) != NULL, "card-detect not trusted (the Pi): the card is asked and found");
	fresh(true);
	m.acmd41_busy = ~0u;
	CHECK(probe(&cfg) == NULL, "a card busy for ever: NULL after the 1 s bound");
	fresh(true);
	m.bad_echo = true;
	CHECK(probe(&cfg) == NULL && m.cmds[41] == 0, "CMD8 echo wrong: unusable card, NULL");
	fresh(true);
	m.reset_stuck = true;
	CHECK(probe(&cfg) == NULL && m.commands == 0, "a controller stuck in reset: NULL");
	fresh(true);
	m.clock_unstable = true;
	CHECK(probe(&cfg) == NULL && m.commands == 0, "a clock that never stabilises: NULL");
	fresh(true);
	struct sdhci_config caps_clock = cfg;
	caps_clock.base_clock_hz = 0;
	CHECK(probe(&caps_clock) != NULL && sd.cfg.base_clock_hz == 52000000,
	      "no clock from the firmware: the capabilities register's 52 MHz");
	free(m.disk);
	return TAP_DONE();
}
