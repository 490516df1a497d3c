/*
 * SD host controller with an SD memory card behind it, as a block device (struct blockdev).
 *
 * The controller follows the SD Host Controller Simplified Specification v3.00 ("HCSS"); the
 * card, the SD Physical Layer Simplified Specification v3.01 ("PLSS"). On the Raspberry Pi that
 * is the Arasan "EMMC" block (bcm283x.dtsi mmc@7e300000, "brcm,bcm2835-sdhci") and the Pi 4's
 * EMMC2 (bcm2711.dtsi mmc@7e340000, "brcm,bcm2711-emmc2"); QEMU models both with its generic
 * SDHCI (hw/sd/sdhci.c) and the card with hw/sd/sd.c. The platform picks the controller from the
 * device tree (platform/rpi3, platform/rpi4) and hands over its address, interrupt and base clock.
 *
 * What the Pi's Arasan needs beyond the specification (Linux's drivers/mmc/host/sdhci-iproc.c
 * documents each): only 32-bit register accesses, so 16-bit registers that share a word are
 * written together (block size with block count, transfer mode with command: writing the command
 * half starts the command, HCSS 2.2.6); a few microseconds between register writes while the SD
 * clock runs at identification speed, or a write can be lost; its capabilities register and card
 * detect are not to be trusted (the base clock comes from the firmware's mailbox instead, and a
 * card is found by asking it, not the detect pin).
 *
 * Data moves by PIO through the buffer data port (HCSS 2.2.8), one 32-bit word at a time:
 * simplest, and it leaves no cache maintenance or bus-address translation to get wrong. A
 * multi-block read or write is one CMD18/CMD25 with the controller's Auto CMD12 (HCSS 2.2.5).
 *
 * Waiting: every wait has a deadline (no hang on a dead card or controller). A wait first polls
 * for SPIN_NS, which covers what completes quickly (a command's response, every wait in QEMU);
 * beyond that, once the card is up and the interrupt registered, the thread sleeps on a
 * semaphore that the controller's interrupt posts, so other threads run during a card's write
 * busy time (up to 250 ms, PLSS 4.6.2.2). It sleeps in slices of SLEEP_SLICE_NS and checks the
 * status again after each, so a lost or misrouted interrupt only slows a transfer down.
 * Identification runs polled: on the Pi 4 both controllers share one interrupt, and only the
 * controller that holds the card registers it.
 *
 * Errors: a command or data timeout is -ETIMEDOUT, every other error (CRC, end bit, index, Auto
 * CMD12, an error bit in the card's R1 status) is -EIO. The CMD and DAT lines are reset after
 * every error (HCSS 3.10), a failed multi-block transfer is stopped with CMD12, and a transfer is
 * tried up to TRIES times before its error reaches the caller.
 *
 * Context: sdhci_probe and the blockdev calls from thread context only; one request at a time.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <uk/thread.h>
#include <uk/time.h>

#include "drivers.h"
#include "kernel.h"
#include "sysreg.h"

/* Registers (HCSS 2.1), as the 32-bit words the Arasan accepts. */
#define REG_BLOCK    0x04 /* 11:0 block size (2.2.2), 31:16 block count (2.2.3) */
#define REG_ARGUMENT 0x08 /* 2.2.4 */
#define REG_COMMAND  0x0c /* 15:0 transfer mode (2.2.5), 31:16 command (2.2.6) */
#define REG_RESPONSE 0x10 /* 2.2.7: four words */
#define REG_BUFFER   0x20 /* 2.2.8: buffer data port */
#define REG_PRESENT  0x24 /* 2.2.9: present state */
#define REG_HOST     0x28 /* 7:0 host control 1 (2.2.10), 15:8 power control (2.2.11) */
#define REG_CLOCK    0x2c /* 15:0 clock (2.2.14), 19:16 timeout (2.2.15), 26:24 reset (2.2.16) */
#define REG_INT	     0x30 /* 15:0 normal (2.2.17), 31:16 error interrupt status (2.2.18) */
#define REG_INT_EN   0x34 /* status enables (2.2.19, 2.2.20): which events set REG_INT */
#define REG_INT_SIG  0x38 /* signal enables (2.2.21, 2.2.22): which raise the interrupt */
#define REG_CAPS     0x40 /* 2.2.26 */
#define REG_VERSION  0xfc /* 31:16 host controller version (2.2.33): 23:16 spec version */

/* Transfer mode (2.2.5) */
#define TM_BLOCK_COUNT (1u << 1) /* the block count register limits the transfer */
#define TM_AUTO_CMD12  (1u << 2) /* the controller sends CMD12 after the last block */
#define TM_READ	       (1u << 4) /* card to host */
#define TM_MULTI       (1u << 5)
/* Command register (2.2.6), as its 16 bits: response type, checks, data, index */
#define RSP_NONE    0u
#define RSP_136	    1u
#define RSP_48	    2u
#define RSP_48_BUSY 3u
#define CMD_CRC	    (1u << 3)
#define CMD_INDEX   (1u << 4)
#define CMD_DATA    (1u << 5)
#define CMD_ABORT   (3u << 6)
#define R1	    (RSP_48 | CMD_CRC | CMD_INDEX)
#define R1B	    (RSP_48_BUSY | CMD_CRC | CMD_INDEX)
#define R2	    (RSP_136 | CMD_CRC) /* CID, CSD: no index field to check */
#define R3	    RSP_48		/* OCR: no CRC, no index (PLSS 4.9.4) */
#define R6	    R1
#define R7	    R1
/* Present state (2.2.9) */
#define PRESENT_INHIBIT_CMD (1u << 0)
#define PRESENT_INHIBIT_DAT (1u << 1)
#define PRESENT_CARD	    (1u << 16)
/* Host control 1 (2.2.10) and power control (2.2.11) */
#define HOST_4BIT (1u << 1)
#define POWER_3V3 (7u << 9) /* SD bus voltage select 111b: 3.3 V */
#define POWER_ON  (1u << 8)
/* Clock control (2.2.14), timeout control (2.2.15), software reset (2.2.16) */
#define CLOCK_INTERNAL	  (1u << 0)
#define CLOCK_STABLE	  (1u << 1)
#define CLOCK_CARD	  (1u << 2)
#define CLOCK_TIMEOUT_MAX (0xeu << 16) /* data timeout TMCLK x 2^27 */
#define RESET_ALL	  (1u << 24)
#define RESET_CMD	  (1u << 25)
#define RESET_DAT	  (1u << 26)
/* Interrupt status (2.2.17, 2.2.18) */
#define INT_CMD_DONE	 (1u << 0)
#define INT_XFER_DONE	 (1u << 1)
#define INT_BUF_WRITE	 (1u << 4)
#define INT_BUF_READ	 (1u << 5)
#define INT_ERROR	 (1u << 15) /* any of 31:16 */
#define INT_CMD_TIMEOUT	 (1u << 16)
#define INT_DATA_TIMEOUT (1u << 20)
#define INT_ERRORS	 0x03ff0000u /* command timeout ... ADMA error (2.2.18 bits 9:0) */
#define INT_EVENTS	 (INT_CMD_DONE | INT_XFER_DONE | INT_BUF_WRITE | INT_BUF_READ)

/* SD commands (PLSS 4.7.4) and their arguments */
#define CMD_GO_IDLE	  0
#define CMD_ALL_SEND_CID  2
#define CMD_SEND_RCA	  3
#define CMD_SELECT	  7
#define CMD_SEND_IF_COND  8
#define CMD_SEND_CSD	  9
#define CMD_STOP	  12
#define CMD_SET_BLOCKLEN  16
#define CMD_READ_SINGLE	  17
#define CMD_READ_MULTI	  18
#define CMD_WRITE_SINGLE  24
#define CMD_WRITE_MULTI	  25
#define CMD_APP		  55
#define ACMD_BUS_WIDTH	  6
#define ACMD_SEND_OP_COND 41
#define ACMD_SEND_SCR	  51
#define IF_COND_3V3_AA	  0x1aa	      /* CMD8: VHS 2.7-3.6 V, check pattern 0xaa (4.3.13) */
#define OCR_VOLTAGES	  0x00ff8000u /* 2.7-3.6 V (5.1) */
#define OCR_HCS		  (1u << 30)  /* ACMD41: the host takes high capacity; answer: CCS */
#define OCR_READY	  (1u << 31)  /* power-up done */
#define R1_ERRORS	  0xfdf80008u /* card status error bits (4.10.1), not CARD_IS_LOCKED */
#define SCR_BUS_WIDTH_4	  (1u << 2)   /* SCR bits 51:48 (5.6) */
#define ACMD6_4BIT	  2

#define BLOCK		 512
#define MAX_BLOCKS	 65535 /* the block count register is 16 bits */
#define ID_CLOCK_HZ	 400000
#define DATA_CLOCK_HZ	 25000000 /* default speed (PLSS 6.6.6) */
#define SPIN_NS		 100000ull
#define SLEEP_SLICE_NS	 10000000ull
#define RESET_TIMEOUT_NS 100000000ull
#define CMD_TIMEOUT_NS	 100000000ull
#define DATA_TIMEOUT_NS	 1000000000ull /* per block; the card's own bound is 250-500 ms */
#define INIT_TIMEOUT_NS	 1000000000ull /* ACMD41 busy, PLSS 4.2.3 */
#define TRIES		 3

static struct {
	struct sdhci_config cfg;
	bool slow_writes;   /* identification clock: space out register writes */
	bool high_capacity; /* SDHC/SDXC: block addresses; SDSC: byte addresses */
	bool irq_on;
	unsigned version; /* HCSS 2.2.33: 0 = 1.00, 1 = 2.00, 2 = 3.00 */
	uint32_t rca;	  /* relative card address << 16, the argument of addressed commands */
	struct uk_sem one_at_a_time, irq;
	struct blockdev bd;
} sd;

static void delay_ns(uint64_t ns)
{
	uint64_t end = uk_now_ns() + ns;
	while (uk_now_ns() < end)
		;
}

static uint32_t rd(unsigned reg)
{
	return mmio_read32(sd.cfg.base + reg);
}

/* At 400 kHz two writes less than two SD clocks apart can lose the first (sdhci-iproc.c's
 * "bugette"): wait four clocks, 10 us, after each write then. */
static void wr(unsigned reg, uint32_t v)
{
	mmio_write32(sd.cfg.base + reg, v);
	if (sd.slow_writes)
		delay_ns(10000);
}

/* Interrupt context: the controller wants attention. Turning its signals off lowers the (level)
 * line without touching the status the waiting thread reads. */
static void sdhci_irq(void *arg)
{
	(void)arg;
	mmio_write32(sd.cfg.base + REG_INT_SIG, 0);
	uk_sem_post(&sd.irq);
}

static int error_of(uint32_t status)
{
	return status & (INT_CMD_TIMEOUT | INT_DATA_TIMEOUT) ? -ETIMEDOUT : -EIO;
}

/* Waits until one of the interrupt status bits in want is set and acknowledges it; an error bit
 * ends the wait with its errno (left set for the caller's reset). */
static int wait_int(uint32_t want, uint64_t timeout_ns)
{
	uint64_t start = uk_now_ns(), deadline = start + timeout_ns;
	for (;;) {
		uint32_t s = rd(REG_INT);
		if (s & (INT_ERROR | INT_ERRORS))
			return error_of(s);
		if (s & want) {
			wr(REG_INT, s & want); /* write 1 to clear (2.2.17) */
			return 0;
		}
		uint64_t now = uk_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (sd.irq_on && now - start >= SPIN_NS) {
			uint64_t left = deadline - now;
			wr(REG_INT_SIG, want | INT_ERRORS);
			uk_sem_wait(&sd.irq, left < SLEEP_SLICE_NS ? left : SLEEP_SLICE_NS);
			wr(REG_INT_SIG, 0);
		}
	}
}

/* Waits until (REG at reg & mask) == value. */
static int wait_reg(unsigned reg, uint32_t mask, uint32_t value, uint64_t timeout_ns)
{
	uint64_t deadline = uk_now_ns() + timeout_ns;
	while ((rd(reg) & mask) != value)
		if (uk_now_ns() >= deadline)
			return -ETIMEDOUT;
	return 0;
}

/* Software reset of some of RESET_ALL/CMD/DAT (2.2.16): the bits clear when it is done. */
static int reset(uint32_t which)
{
	wr(REG_CLOCK, rd(REG_CLOCK) | which);
	return wait_reg(REG_CLOCK, which, 0, RESET_TIMEOUT_NS);
}

/* After an error (HCSS 3.10.1): clear the status and reset the lines the command used. */
static void recover(bool data)
{
	wr(REG_INT, 0xffffffff);
	reset(RESET_CMD | (data ? RESET_DAT : 0));
}

/*
 * Issues command index with flags (the command register's low byte) and arg, with transfer mode
 * tm for a data command whose block register the caller wrote; waits for the response (HCSS
 * 3.7.1.1-2), and for the busy signal's end after an R1b (3.7.1.2: transfer complete). resp gets
 * the response registers. An R1 with an error bit set is -EIO.
 */
static int command(unsigned index, unsigned flags, uint32_t arg, uint32_t tm, uint32_t resp[4])
{
	uint32_t inhibit = PRESENT_INHIBIT_CMD;
	if ((flags & CMD_DATA) || ((flags & 3) == RSP_48_BUSY && (flags & CMD_ABORT) != CMD_ABORT))
		inhibit |= PRESENT_INHIBIT_DAT;
	if (wait_reg(REG_PRESENT, inhibit, 0, CMD_TIMEOUT_NS)) {
		recover(true);
		return -ETIMEDOUT;
	}
	wr(REG_INT, 0xffffffff);
	wr(REG_ARGUMENT, arg);
	wr(REG_COMMAND, (uint32_t)(index << 8 | flags) << 16 | tm); /* the command starts here */
	int r = wait_int(INT_CMD_DONE, CMD_TIMEOUT_NS);
	if (r) {
		recover(flags & CMD_DATA);
		return r;
	}
	for (int i = 0; i < 4; i++)
		resp[i] = rd(REG_RESPONSE + 4 * i);
	if ((flags & 3) == RSP_48_BUSY && (r = wait_int(INT_XFER_DONE, DATA_TIMEOUT_NS))) {
		recover(true);
		return r;
	}
	bool r1 = (flags & CMD_INDEX) && index != CMD_SEND_IF_COND && index != CMD_SEND_RCA;
	if (r1 && (resp[0] & R1_ERRORS)) {
		recover(flags & CMD_DATA);
		return -EIO;
	}
	return 0;
}

static int app_command(unsigned index, unsigned flags, uint32_t arg, uint32_t tm, uint32_t resp[4])
{
	int r = command(CMD_APP, R1, sd.rca, 0, resp);
	return r ? r : command(index, flags, arg, tm, resp);
}

/* SD clock at most hz from the base clock (HCSS 2.2.14, 3.2): off, new divisor, internal clock
 * on and stable, then on to the card. 3.00 hosts divide by 2N (10 bits), older by a power of 2. */
static int set_clock(uint32_t hz)
{
	if (wait_reg(REG_PRESENT, PRESENT_INHIBIT_CMD | PRESENT_INHIBIT_DAT, 0, CMD_TIMEOUT_NS))
		return -ETIMEDOUT;
	uint32_t base = sd.cfg.base_clock_hz, n = 0;
	if (base > hz) {
		if (sd.version >= 2) {
			n = (base + 2 * hz - 1) / (2 * hz);
			if (n > 0x3ff)
				n = 0x3ff;
		} else {
			for (n = 1; n < 0x80 && base / (2 * n) > hz; n <<= 1)
				;
		}
	}
	sd.slow_writes = true; /* while the clock changes, be as careful as at 400 kHz */
	uint32_t c = rd(REG_CLOCK) & ~0xffffu & ~(0xfu << 16);
	wr(REG_CLOCK, c);
	c |= CLOCK_TIMEOUT_MAX | (n & 0xff) << 8 | (n >> 8 & 3) << 6 | CLOCK_INTERNAL;
	wr(REG_CLOCK, c);
	if (wait_reg(REG_CLOCK, CLOCK_STABLE, CLOCK_STABLE, RESET_TIMEOUT_NS))
		return -ETIMEDOUT;
	wr(REG_CLOCK, c | CLOCK_CARD);
	uint32_t actual = n ? base / (2 * n) : base;
	sd.slow_writes = actual <= ID_CLOCK_HZ;
	return 0;
}

/* CSD bits hi..lo (PLSS 5.3). An R2's response registers hold bits 127:8 of it (HCSS 2.2.7),
 * so CSD bit b is response bit b - 8. */
static uint32_t csd_bits(const uint32_t r[4], unsigned hi, unsigned lo)
{
	uint32_t v = 0;
	for (unsigned b = hi + 1; b-- > lo;) {
		unsigned p = b - 8;
		v = v << 1 | (r[p / 32] >> (p % 32) & 1);
	}
	return v;
}

/* Capacity in 512-byte blocks from the CSD (5.3.2 version 1.0, 5.3.3 version 2.0). */
static uint64_t csd_blocks(const uint32_t r[4])
{
	if (csd_bits(r, 127, 126) == 1) /* SDHC/SDXC: (C_SIZE + 1) x 512 KiB */
		return ((uint64_t)csd_bits(r, 69, 48) + 1) * 1024;
	uint64_t bytes = ((uint64_t)csd_bits(r, 73, 62) + 1)
			 << (csd_bits(r, 49, 47) + 2) << csd_bits(r, 83, 80);
	return bytes / BLOCK;
}

/* One PIO read or write of n blocks at lba (HCSS 3.7.2.1). */
static int transfer_once(bool write, uint64_t lba, uint32_t n, uint8_t *buf)
{
	uint32_t arg = (uint32_t)(sd.high_capacity ? lba : lba * BLOCK), resp[4];
	uint32_t tm =
	    TM_BLOCK_COUNT | (write ? 0 : TM_READ) | (n > 1 ? TM_MULTI | TM_AUTO_CMD12 : 0);
	unsigned index = write ? (n > 1 ? CMD_WRITE_MULTI : CMD_WRITE_SINGLE)
			       : (n > 1 ? CMD_READ_MULTI : CMD_READ_SINGLE);
	wr(REG_BLOCK, BLOCK | n << 16); /* size and count in one write (sdhci-iproc.c) */
	int r = command(index, R1 | CMD_DATA, arg, tm, resp);
	for (uint32_t b = 0; b < n && !r; b++) {
		r = wait_int(write ? INT_BUF_WRITE : INT_BUF_READ, DATA_TIMEOUT_NS);
		for (unsigned i = 0; i < BLOCK && !r; i += 4, buf += 4) {
			uint32_t w;
			if (write) {
				memcpy(&w, buf, 4);
				mmio_write32(sd.cfg.base + REG_BUFFER, w);
			} else {
				w = mmio_read32(sd.cfg.base + REG_BUFFER);
				memcpy(buf, &w, 4);
			}
		}
	}
	if (!r)
		r = wait_int(INT_XFER_DONE, DATA_TIMEOUT_NS);
	if (r) {
		recover(true);
		/* the card may still be sending or receiving (a data error can come with the
		 * command's response): back to the transfer state (PLSS 4.3.3) */
		if (n > 1)
			command(CMD_STOP, R1B | CMD_ABORT, 0, 0, resp);
	}
	return r;
}

static int transfer(bool write, uint64_t lba, uint32_t count, uint8_t *buf)
{
	if (lba > sd.bd.blocks || count > sd.bd.blocks - lba)
		return -EINVAL;
	int r = 0;
	uk_sem_wait(&sd.one_at_a_time, 0);
	while (count) {
		uint32_t n = count < MAX_BLOCKS ? count : MAX_BLOCKS;
		for (int t = 0; t < TRIES; t++)
			if (!(r = transfer_once(write, lba, n, buf)))
				break;
		if (r)
			break;
		lba += n, count -= n, buf += (size_t)n * BLOCK;
	}
	uk_sem_post(&sd.one_at_a_time);
	if (r)
		kprintf("sdhci: %s of block %llu failed (%d)\n", write ? "write" : "read",
			(unsigned long long)lba, r);
	return r;
}

static int sdhci_read(uint64_t lba, uint32_t count, void *buf)
{
	return transfer(false, lba, count, buf);
}

static int sdhci_write(uint64_t lba, uint32_t count, const void *buf)
{
	return transfer(true, lba, count, (uint8_t *)buf);
}

/* A write is complete when its transfer-complete interrupt came: the card has left its busy
 * state, so the data is programmed (PLSS 4.3.4). No cache to flush. */
static int sdhci_flush(void)
{
	return 0;
}

/* The SCR's bus widths (ACMD51, an 8-byte read; PLSS 5.6): whether the card takes 4 bits. */
static bool card_has_4bit(void)
{
	uint32_t resp[4], scr[2];
	wr(REG_BLOCK, 8 | 1u << 16);
	int r = app_command(ACMD_SEND_SCR, R1 | CMD_DATA, 0, TM_READ | TM_BLOCK_COUNT, resp);
	if (!r)
		r = wait_int(INT_BUF_READ, DATA_TIMEOUT_NS);
	if (!r) {
		scr[0] = rd(REG_BUFFER);
		scr[1] = rd(REG_BUFFER);
		r = wait_int(INT_XFER_DONE, DATA_TIMEOUT_NS);
	}
	if (r) {
		recover(true);
		return false;
	}
	return (scr[0] >> 8) & SCR_BUS_WIDTH_4; /* big-endian: byte 1 holds bits 55:48 */
}

/* Identification and initialisation (PLSS 4.2, Figure 4-2; HCSS 3.6). */
static int card_init(void)
{
	uint32_t resp[4];
	int r;
	if (reset(RESET_ALL))
		return -EIO;
	sd.version = rd(REG_VERSION) >> 16 & 0xff;
	if (!sd.cfg.base_clock_hz) /* 3.00: 15:8 in MHz; 2.00: 13:8 */
		sd.cfg.base_clock_hz =
		    (rd(REG_CAPS) >> 8 & (sd.version >= 2 ? 0xff : 0x3f)) * 1000000u;
	if (!sd.cfg.base_clock_hz)
		return -ENODEV;
	if (sd.cfg.card_detect && !(rd(REG_PRESENT) & PRESENT_CARD))
		return -ENODEV;
	wr(REG_HOST, POWER_3V3 | POWER_ON);
	wr(REG_INT_SIG, 0);
	wr(REG_INT_EN, INT_ERRORS | INT_EVENTS);
	wr(REG_INT, 0xffffffff);
	if ((r = set_clock(ID_CLOCK_HZ)))
		return r;
	delay_ns(1000000); /* 74 clocks before the first command (PLSS 6.4.1): 1 ms covers it */

	if ((r = command(CMD_GO_IDLE, RSP_NONE, 0, 0, resp)))
		return r;
	/* CMD8: a 2.00+ card echoes the pattern; a 1.x card (or none) does not answer */
	uint32_t hcs = 0;
	r = command(CMD_SEND_IF_COND, R7, IF_COND_3V3_AA, 0, resp);
	if (r == 0 && (resp[0] & 0xfff) != IF_COND_3V3_AA)
		return -EIO; /* unusable card (4.2.2) */
	if (r == 0)
		hcs = OCR_HCS;
	else if (r != -ETIMEDOUT)
		return r;
	uint64_t deadline = uk_now_ns() + INIT_TIMEOUT_NS;
	do {
		if ((r = app_command(ACMD_SEND_OP_COND, R3, hcs | OCR_VOLTAGES, 0, resp)))
			return r == -ETIMEDOUT ? -ENODEV : r; /* nothing answers: no card */
		if (resp[0] & OCR_READY)
			break;
		delay_ns(1000000);
	} while (uk_now_ns() < deadline);
	if (!(resp[0] & OCR_READY))
		return -ETIMEDOUT;
	sd.high_capacity = resp[0] & OCR_HCS;

	if ((r = command(CMD_ALL_SEND_CID, R2, 0, 0, resp)) ||
	    (r = command(CMD_SEND_RCA, R6, 0, 0, resp)))
		return r;
	sd.rca = resp[0] & 0xffff0000u;
	if ((r = command(CMD_SEND_CSD, R2, sd.rca, 0, resp)))
		return r;
	sd.bd.blocks = csd_blocks(resp);
	if ((r = command(CMD_SELECT, R1B, sd.rca, 0, resp)))
		return r;
	if (!sd.high_capacity && (r = command(CMD_SET_BLOCKLEN, R1, BLOCK, 0, resp)))
		return r;
	if (card_has_4bit()) {
		if ((r = app_command(ACMD_BUS_WIDTH, R1, ACMD6_4BIT, 0, resp)))
			return r;
		wr(REG_HOST, rd(REG_HOST) | HOST_4BIT);
	}
	return set_clock(DATA_CLOCK_HZ);
}

struct blockdev *sdhci_probe(const struct sdhci_config *cfg)
{
	if (sd.bd.name)
		return &sd.bd; /* a card was found already */
	memset(&sd, 0, sizeof sd);
	sd.cfg = *cfg;
	int r = card_init();
	if (r) {
		kprintf("sdhci: %s: %s (%d)\n", cfg->name, r == -ENODEV ? "no card" : "card failed",
			r);
		reset(RESET_ALL); /* leave it quiet: no clock, no signals */
		memset(&sd, 0, sizeof sd);
		return NULL;
	}
	uk_sem_init(&sd.one_at_a_time, 1);
	uk_sem_init(&sd.irq, 0);
	if (cfg->irq) {
		irq_register(cfg->irq, sdhci_irq, NULL);
		sd.irq_on = true;
	}
	uint64_t blocks = sd.bd.blocks;
	sd.bd = (struct blockdev){.name = cfg->name,
				  .blocks = blocks,
				  .read = sdhci_read,
				  .write = sdhci_write,
				  .flush = sdhci_flush};
	kprintf("sdhci: %s: %s card, %llu MiB, %u-bit\n", cfg->name,
		sd.high_capacity ? "SDHC/SDXC" : "SDSC", (unsigned long long)(sd.bd.blocks / 2048),
		rd(REG_HOST) & HOST_4BIT ? 4 : 1);
	return &sd.bd;
}
