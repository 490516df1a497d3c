/*
 * Broadcom GENET v5 Ethernet MAC: the Raspberry Pi 4's wired network (BCM2711, at ARM physical
 * 0xfd580000 in low-peripheral mode, interrupts GIC SPI 157/158), with its BCM54213PE PHY on
 * RGMII (drivers/bcm54213_phy.c).
 *
 * Status: written from public register definitions, tested against a register-level host
 * model (tests/unit/shim_genet/genet_model.c), not yet run on a Pi 4 board. Broadcom publishes no
 * GENET datasheet; every offset and bit below is the GENET v5 register map as documented in Linux's
 * drivers/net/ethernet/broadcom/genet/bcmgenet.h, cross-checked against U-Boot's
 * drivers/net/bcmgenet.c and FreeBSD's sys/arm64/broadcom/genet/if_genet.c. QEMU's raspi4b
 * has no GENET (a read of its registers is a synchronous external abort) and removes the node
 * from the device tree it hands over, so the platform calls genet_probe only when
 * genet_dt_enabled says the tree has it.
 *
 * Only the default queue (ring 16) is used, in both directions, with descriptors in the
 * device's register space: each is {length_status, address_lo, address_hi}. The device's DMA
 * sees ARM physical addresses unchanged (the device tree's /scb has no dma-ranges) and is not
 * cache-coherent: transmit buffers are cleaned before the device reads them, receive buffers
 * invalidated before the CPU reads them. Receive: a fixed buffer per descriptor; the
 * interrupt only signals the stack and frames are copied out in thread context. The receive
 * buffer holds the 64-byte receive status block, a 2-byte pad, then the frame: the
 * configuration Linux's bcmgenet runs (RBUF_64B_EN and RBUF_ALIGN_2B, its frame after "the RSB
 * and the 2 bytes the hardware adds for IP alignment"); U-Boot and Circle run the pad alone.
 * Transmit: frames are copied into a buffer per descriptor and completed descriptors are
 * reclaimed on the next transmit; no transmit status block. No checksum offload; the MAC
 * strips the FCS on receive and appends it on transmit.
 * Both rings start where the hardware's counters are (they cannot be reset, and a network
 * bootloader may have used the device): the consumer index at the receive producer index, the
 * producer at the transmit consumer index, and the first descriptor (and the engines' read and
 * write pointers) at that index modulo the ring size, as U-Boot's bcmgenet does. The MAC runs
 * promiscuous (lwIP filters by address): broadcast, mDNS and IPv6 multicast need no filter
 * programming.
 *
 * Link: a timer polls the PHY's status every 100 ms while down and every second while up. Each
 * MDIO read of a poll is checked by polling UMAC_MDIO_CMD's busy bit from the timer (every
 * 50 us, for at most 10 ms), without busy-waiting; the MDIO-done interrupt only shortens that
 * wait. Circle's driver notes that the MDIO interrupts do not work on this chip and polls the
 * busy bit; Linux's bcmmii.c waits for the interrupt for at most 10 ms and reads anyway. The
 * negotiated speed and duplex go into the MAC. While the link is down, transmit refuses frames
 * (-ENETDOWN). Probe waits up to 5 s for the first link (auto-negotiation takes about 3 s), so that
 * the stack's first DHCP request goes out on a live link instead of into a backoff; the wait only
 * happens when an app asked for the network, and a missing cable costs those 5 s once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <uk/config.h>
#include <uk/time.h>
#include <uk/thread.h>

#include "bcm54213_phy.h"
#include "mii.h"
#include "dcache.h"
#include "drivers.h"
#include "netdev.h"
#include "sysreg.h"

/* ---- SYS block (bcmgenet.h "SYS block offsets") ---- */
#define SYS_REV_CTRL	    0x0000
#define REV_MAJOR(v)	    (((v) >> 24) & 0xf) /* 6 on a GENET v5 (5 on v4, 0 on v1) */
#define REV_MINOR(v)	    (((v) >> 16) & 0xf)
#define REV_MAJOR_V5	    6
#define SYS_PORT_CTRL	    0x0004
#define PORT_MODE_EXT_GPHY  3 /* an external gigabit PHY (RGMII) */
#define SYS_RBUF_FLUSH_CTRL 0x0008
#define RBUF_FLUSH_RESET    (1u << 1)
/* ---- EXT block ---- */
#define EXT_RGMII_OOB_CTRL 0x008c
#define RGMII_LINK	   (1u << 4) /* tells the RGMII block the link is up */
#define OOB_DISABLE	   (1u << 5)
#define RGMII_MODE_EN	   (1u << 6)
#define ID_MODE_DIS	   (1u << 16) /* 1: the MAC does not delay TXC; 0: it delays it ~2 ns */
/* ---- interrupt controllers: INTRL2_0 (line 0: SPI 157) and INTRL2_1 (priority rings) ---- */
#define INTRL2_0	   0x0200
#define INTRL2_1	   0x0240
#define INTRL2_STAT	   0x00 /* pending, before masking */
#define INTRL2_CLEAR	   0x08 /* write 1 to clear */
#define INTRL2_MASK_STATUS 0x0c /* 1: masked */
#define INTRL2_MASK_SET	   0x10
#define INTRL2_MASK_CLEAR  0x14
#define IRQ_RXDMA_MBDONE   (1u << 13) /* the default receive ring reached its done threshold */
#define IRQ_TXDMA_MBDONE   (1u << 16)
#define IRQ_MDIO_DONE	   (1u << 23)
#define IRQ_MDIO_ERROR	   (1u << 24)
/* ---- RBUF block ---- */
#define RBUF_CTRL	    0x0300
#define RBUF_64B_EN	    (1u << 0) /* prepend the 64-byte receive status block */
#define RBUF_ALIGN_2B	    (1u << 1) /* then two bytes, so the IP header is 4-byte aligned */
#define RBUF_TBUF_SIZE_CTRL 0x03b4    /* 1 on v4+, as Linux and U-Boot program it */
/* ---- UniMAC ---- */
#define UMAC_CMD	   0x0808
#define CMD_TX_EN	   (1u << 0)
#define CMD_RX_EN	   (1u << 1)
#define CMD_SPEED_SHIFT	   2 /* 0: 10, 1: 100, 2: 1000 Mbit/s */
#define CMD_SPEED_MASK	   (3u << CMD_SPEED_SHIFT)
#define CMD_PROMISC	   (1u << 4)
#define CMD_CRC_FWD	   (1u << 6)  /* 0: strip the FCS from received frames */
#define CMD_HD_EN	   (1u << 10) /* half duplex */
#define CMD_SW_RESET	   (1u << 13) /* held until written back to 0 */
#define CMD_LCL_LOOP_EN	   (1u << 15) /* loopback during reset keeps the RX clock stable */
#define UMAC_MAC0	   0x080c     /* MAC bytes 0-3, byte 0 in bits 31:24 */
#define UMAC_MAC1	   0x0810     /* MAC bytes 4-5, byte 4 in bits 15:8 */
#define UMAC_MAX_FRAME_LEN 0x0814
#define UMAC_TX_FLUSH	   0x0b34
#define UMAC_MIB_CTRL	   0x0d80
#define MIB_RESET_ALL	   7u /* RX, runt and TX counters */
#define UMAC_MDIO_CMD	   0x0e14
#define MDIO_START_BUSY	   (1u << 29) /* set to start; the MAC clears it when done */
#define MDIO_READ_FAIL	   (1u << 28) /* no PHY answered */
#define MDIO_RD		   (2u << 26)
#define MDIO_WR		   (1u << 26)
#define MDIO_PHY(a)	   ((uint32_t)(a) << 21)
#define MDIO_REG(r)	   ((uint32_t)(r) << 16)
/* ---- descriptors and DMA: 256 descriptors per direction, then 17 rings of 0x40 ---- */
#define RX_DESC_BASE	     0x2000
#define TX_DESC_BASE	     0x4000
#define DESC_SIZE	     12
#define DESC_WORDS	     3
#define DESC_LENGTH_STATUS   0x0
#define DESC_ADDR_LO	     0x4
#define DESC_ADDR_HI	     0x8
#define TOTAL_DESCS	     256
#define RDMA_RING(r)	     (RX_DESC_BASE + TOTAL_DESCS * DESC_SIZE + 0x40 * (r))
#define TDMA_RING(r)	     (TX_DESC_BASE + TOTAL_DESCS * DESC_SIZE + 0x40 * (r))
#define DEFAULT_RING	     16
#define RDMA_WRITE_PTR	     0x00 /* ring registers, receive side */
#define RDMA_PROD_INDEX	     0x08
#define RDMA_CONS_INDEX	     0x0c
#define RDMA_XON_XOFF_THRESH 0x28
#define RDMA_READ_PTR	     0x2c
#define TDMA_READ_PTR	     0x00 /* ring registers, transmit side */
#define TDMA_CONS_INDEX	     0x08
#define TDMA_PROD_INDEX	     0x0c
#define TDMA_FLOW_PERIOD     0x28
#define TDMA_WRITE_PTR	     0x2c
#define DMA_RING_BUF_SIZE    0x10 /* descriptors << 16 | buffer bytes */
#define DMA_START_ADDR	     0x14 /* in words from the descriptor base */
#define DMA_END_ADDR	     0x1c /* last word of the ring */
#define DMA_MBUF_DONE_THRESH 0x24 /* interrupt after this many buffers */
#define RDMA_REGS	     RDMA_RING(17)
#define TDMA_REGS	     TDMA_RING(17)
#define DMA_RING_CFG	     0x00 /* bit r: ring r in use */
#define DMA_CTRL	     0x04
#define DMA_EN		     (1u << 0)
#define DMA_RING_BUF_EN(r)   (1u << ((r) + 1))
#define DMA_STATUS	     0x08
#define DMA_DISABLED	     (1u << 0) /* the engine has stopped */
#define DMA_SCB_BURST_SIZE   0x0c
#define SCB_BURST	     8	     /* the BCM2711's limit, per U-Boot's driver */
#define INDEX_MASK	     0xffffu /* producer/consumer counters: 16 bits, free-running */
/* length_status */
#define DESC_LEN(ls)	   (((ls) >> 16) & 0xfff)
#define DESC_SOP	   (1u << 13)
#define DESC_EOP	   (1u << 14)
#define DESC_TX_APPEND_CRC (1u << 6)
#define DESC_TX_QTAG	   (0x3fu << 7)
#define DESC_RX_ERRORS	   0x1fu /* overrun, CRC, RX_ER, non-octet, too long */

#define RX_DESCS   128
#define TX_DESCS   64
#define RX_BUF	   2048
#define RX_RSB	   64		/* receive status block: its first word is length_status */
#define RX_OFF	   (RX_RSB + 2) /* where the frame starts; length_status counts these bytes */
#define TX_BUF	   1536
#define MAX_FRAME  1536 /* frame + VLAN tag + FCS fits */
#define PHY_ADDR   1	/* the device tree's ethernet-phy@1 */
#define MDIO_POLLS 100
#define MDIO_CHECK 50000ull	/* busy-bit check period of a poll's MDIO read, ns (~30 us each) */
#define MDIO_LIMIT 10000000ull	/* and the longest wait, as Linux's bcmgenet_mii_wait (HZ/100) */
#define POLL_DOWN  100000000ull /* link poll period while down, ns */
#define POLL_UP	   1000000000ull
#define LINK_WAIT  5000000000ull /* at probe */

enum link_step { LINK_IDLE, LINK_BMSR, LINK_STAT1000, LINK_LPA };

static struct genet {
	struct netdev netdev;
	uintptr_t base;
	uint32_t rev;
	uint8_t *rx_bufs, *tx_bufs;
	unsigned rx_next;     /* next receive descriptor to read */
	uint16_t rx_cons;     /* consumer counter, as last written */
	unsigned tx_next;     /* next transmit descriptor to fill */
	uint16_t tx_prod;     /* producer counter, as last written */
	struct phy_link link; /* written in interrupt context only */
	enum link_step step;
	uint64_t step_ns; /* when the outstanding MDIO read started */
	uint16_t bmsr, stat1000;
	struct uk_timer poll;
} genet;

static uint32_t rd(struct genet *g, uint32_t reg)
{
	return mmio_read32(g->base + reg);
}
static void wr(struct genet *g, uint32_t reg, uint32_t v)
{
	mmio_write32(g->base + reg, v);
}

static void sleep_us(unsigned us)
{
	uk_thread_sleep_until(uk_now_ns() + (uint64_t)us * 1000);
}

/* ---- MDIO (UMAC_MDIO_CMD): one clause 22 transaction at a time ---- */

static void mdio_issue(struct genet *g, uint32_t cmd)
{
	wr(g, UMAC_MDIO_CMD, cmd);
	wr(g, UMAC_MDIO_CMD, cmd | MDIO_START_BUSY);
}

/* Thread context: waits for the transaction (~30 us at 2.5 MHz) by sleeping between polls. */
static int mdio_sync(struct genet *g, uint32_t cmd)
{
	mdio_issue(g, cmd);
	for (unsigned i = 0; i < MDIO_POLLS; i++) {
		uint32_t v = rd(g, UMAC_MDIO_CMD);
		if (!(v & MDIO_START_BUSY))
			return v & MDIO_READ_FAIL ? -EIO : (int)(v & 0xffff);
		sleep_us(20);
	}
	return -ETIMEDOUT;
}

static int mdio_read(void *ctx, unsigned reg)
{
	return mdio_sync(ctx, MDIO_RD | MDIO_PHY(PHY_ADDR) | MDIO_REG(reg));
}

static int mdio_write(void *ctx, unsigned reg, uint16_t value)
{
	int r = mdio_sync(ctx, MDIO_WR | MDIO_PHY(PHY_ADDR) | MDIO_REG(reg) | value);
	return r < 0 ? r : 0;
}

/* ---- link: PHY status polled by MDIO reads the timer (or the MDIO interrupt) completes ---- */

/* Interrupt context. Arms the poll timer: soon while an MDIO read is outstanding, to check its
 * busy bit, else for the next poll. */
static void link_arm(struct genet *g, uint64_t now)
{
	uint64_t next = g->step != LINK_IDLE ? MDIO_CHECK : g->link.up ? POLL_UP : POLL_DOWN;
	uk_timer_start(&g->poll, now + next);
}

/* Interrupt context. Tells the MAC what the PHY negotiated. */
static void link_set(struct genet *g, struct phy_link l)
{
	uint32_t oob = rd(g, EXT_RGMII_OOB_CTRL);
	if (l.up) {
		uint32_t speed = l.speed == 1000 ? 2 : l.speed == 100 ? 1 : 0;
		uint32_t cmd = rd(g, UMAC_CMD) & ~(CMD_SPEED_MASK | CMD_HD_EN);
		cmd |= speed << CMD_SPEED_SHIFT | (l.full_duplex ? 0 : CMD_HD_EN);
		wr(g, UMAC_CMD, cmd);
		wr(g, EXT_RGMII_OOB_CTRL, oob | RGMII_LINK);
		kprintf("genet: link up, %u Mbit/s %s duplex\n", l.speed,
			l.full_duplex ? "full" : "half");
	} else {
		wr(g, EXT_RGMII_OOB_CTRL, oob & ~RGMII_LINK);
		kprintf("genet: link down\n");
	}
	g->link = l;
	netdev_link_changed(&g->netdev, l.up); /* the stack's interface follows */
}

static void link_read(struct genet *g, enum link_step step, unsigned reg)
{
	g->step = step;
	g->step_ns = uk_now_ns();
	mdio_issue(g, MDIO_RD | MDIO_PHY(PHY_ADDR) | MDIO_REG(reg));
}

/* Interrupt context: the outstanding MDIO read of the poll may have finished (the MDIO-done
 * interrupt came, or the timer checks). Takes its value and goes on to the next read, or ends
 * the poll; then re-arms the timer. */
static void link_mdio_done(struct genet *g)
{
	uint32_t v = rd(g, UMAC_MDIO_CMD);
	if (g->step == LINK_IDLE || (v & MDIO_START_BUSY))
		return;
	enum link_step step = g->step;
	g->step = LINK_IDLE;
	if (!(v & MDIO_READ_FAIL)) { /* else the PHY did not answer: the next poll asks again */
		uint16_t val = (uint16_t)v;
		switch (step) {
		case LINK_BMSR: {
			bool up = (val & (BMSR_LSTATUS | BMSR_ANEGCOMPLETE)) ==
				  (BMSR_LSTATUS | BMSR_ANEGCOMPLETE);
			if (up && !g->link.up) {
				g->bmsr = val;
				link_read(g, LINK_STAT1000, MII_STAT1000);
			} else if (!up && g->link.up) {
				link_set(g, (struct phy_link){0});
			}
			break;
		}
		case LINK_STAT1000:
			g->stat1000 = val;
			link_read(g, LINK_LPA, MII_LPA);
			break;
		case LINK_LPA:
			link_set(g, phy_resolve(g->bmsr, PHY_ADVERTISE_DEFAULT, val,
						PHY_CTRL1000_DEFAULT, g->stat1000));
			break;
		case LINK_IDLE:
			break;
		}
	}
	link_arm(g, uk_now_ns());
}

/* Timer callback (interrupt context): checks the outstanding MDIO read, or starts a poll. */
static void link_poll(struct uk_timer *t, void *arg)
{
	struct genet *g = arg;
	(void)t;
	uint64_t now = uk_now_ns();
	bool busy = rd(g, UMAC_MDIO_CMD) & MDIO_START_BUSY;
	if (g->step != LINK_IDLE && !busy) {
		link_mdio_done(g); /* re-arms */
		return;
	}
	if (g->step != LINK_IDLE && now - g->step_ns >= MDIO_LIMIT)
		g->step = LINK_IDLE; /* a transaction that never ends: the next poll asks again */
	else if (g->step == LINK_IDLE && !busy)
		link_read(g, LINK_BMSR, MII_BMSR);
	link_arm(g, now);
}

static void genet_irq(void *arg)
{
	struct genet *g = arg;
	uint32_t st = rd(g, INTRL2_0 + INTRL2_STAT) & ~rd(g, INTRL2_0 + INTRL2_MASK_STATUS);
	wr(g, INTRL2_0 + INTRL2_CLEAR, st);
	if (st & (IRQ_MDIO_DONE | IRQ_MDIO_ERROR))
		link_mdio_done(g);
	if ((st & IRQ_RXDMA_MBDONE) && g->netdev.rx_ready)
		g->netdev.rx_ready(&g->netdev);
}

/* ---- data path (thread context) ---- */

static size_t genet_receive(struct netdev *nd, void *buf, size_t max)
{
	struct genet *g = nd->priv;
	for (;;) {
		uint16_t prod = rd(g, RDMA_RING(DEFAULT_RING) + RDMA_PROD_INDEX) & INDEX_MASK;
		if (prod == g->rx_cons)
			return 0;
		unsigned i = g->rx_next;
		uint8_t *b = g->rx_bufs + (size_t)i * RX_BUF;
		/* the status block's length_status, as Linux reads it (the descriptor's copy is an
		 * MMIO read); little-endian, like the CPU */
		dcache_inval_range(b, RX_RSB);
		uint32_t ls;
		memcpy(&ls, b, sizeof(ls));
		size_t total = DESC_LEN(ls), len = total >= RX_OFF ? total - RX_OFF : 0;
		/* one whole frame per buffer, no error flags, a length that fits everywhere */
		bool ok = (ls & (DESC_SOP | DESC_EOP)) == (DESC_SOP | DESC_EOP) &&
			  !(ls & DESC_RX_ERRORS) && len >= ETH_HLEN && len <= ETH_FRAME_MAX &&
			  len <= max;
		if (ok) {
			dcache_inval_range(b + RX_OFF, len);
			memcpy(buf, b + RX_OFF, len);
		}
		/* the buffer goes straight back to the device */
		g->rx_next = (i + 1) % RX_DESCS;
		g->rx_cons = (uint16_t)(g->rx_cons + 1);
		wr(g, RDMA_RING(DEFAULT_RING) + RDMA_CONS_INDEX, g->rx_cons);
		if (ok) {
			nd->stats.rx_frames++;
			return len;
		}
		nd->stats.rx_dropped++;
	}
}

static int genet_transmit(struct netdev *nd, const void *frame, size_t len)
{
	struct genet *g = nd->priv;
	if (len < ETH_HLEN || len > ETH_FRAME_MAX) {
		nd->stats.tx_dropped++;
		return -EMSGSIZE;
	}
	if (!g->link.up) {
		nd->stats.tx_dropped++;
		return -ENETDOWN;
	}
	uint16_t cons = rd(g, TDMA_RING(DEFAULT_RING) + TDMA_CONS_INDEX) & INDEX_MASK;
	if ((uint16_t)(g->tx_prod - cons) >= TX_DESCS) {
		nd->stats.tx_dropped++;
		return -EAGAIN;
	}
	unsigned i = g->tx_next;
	uint8_t *b = g->tx_bufs + (size_t)i * TX_BUF;
	/* shorter frames are zero-padded here rather than trusting the MAC to */
	size_t n = len < ETH_ZLEN ? ETH_ZLEN : len;
	memcpy(b, frame, len);
	memset(b + len, 0, n - len);
	dcache_clean_range(b, n);
	uint32_t d = TX_DESC_BASE + i * DESC_SIZE;
	wr(g, d + DESC_ADDR_LO, (uint32_t)(uintptr_t)b);
	wr(g, d + DESC_ADDR_HI, (uint32_t)((uint64_t)(uintptr_t)b >> 32));
	wr(g, d + DESC_LENGTH_STATUS,
	   (uint32_t)n << 16 | DESC_SOP | DESC_EOP | DESC_TX_APPEND_CRC | DESC_TX_QTAG);
	g->tx_next = (i + 1) % TX_DESCS;
	g->tx_prod = (uint16_t)(g->tx_prod + 1);
	wr(g, TDMA_RING(DEFAULT_RING) + TDMA_PROD_INDEX, g->tx_prod);
	nd->stats.tx_frames++;
	return 0;
}

/* ---- bring-up (thread context) ---- */

static void umac_reset(struct genet *g)
{
	wr(g, SYS_RBUF_FLUSH_CTRL, RBUF_FLUSH_RESET);
	sleep_us(10);
	wr(g, SYS_RBUF_FLUSH_CTRL, 0);
	sleep_us(10);
	wr(g, UMAC_CMD, 0);
	wr(g, UMAC_CMD, CMD_SW_RESET | CMD_LCL_LOOP_EN);
	sleep_us(10);
	wr(g, UMAC_CMD, 0);
	wr(g, UMAC_MIB_CTRL, MIB_RESET_ALL);
	wr(g, UMAC_MIB_CTRL, 0);
	wr(g, UMAC_MAX_FRAME_LEN, MAX_FRAME);
	wr(g, RBUF_CTRL, rd(g, RBUF_CTRL) | RBUF_64B_EN | RBUF_ALIGN_2B);
	wr(g, RBUF_TBUF_SIZE_CTRL, 1);
}

static void set_mac(struct genet *g, const uint8_t m[6])
{
	wr(g, UMAC_MAC0, (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3]);
	wr(g, UMAC_MAC1, (uint32_t)m[4] << 8 | m[5]);
}

/* Both DMA engines are off. Ring 16 uses descriptors [0, n) of its direction (n divides the
 * 16-bit counters' 65536, so "index modulo n" survives their wrap). */
static void ring_setup(struct genet *g, bool rx, unsigned n, unsigned buf_size)
{
	uint32_t ring = rx ? RDMA_RING(DEFAULT_RING) : TDMA_RING(DEFAULT_RING);
	uint32_t regs = rx ? RDMA_REGS : TDMA_REGS;
	/* The hardware's counter (receive producer, transmit consumer) cannot be reset: the
	 * ring starts at it. U-Boot's bcmgenet starts its descriptor index at the counter modulo
	 * the ring; the engine's read and write pointers are set to the same descriptor, so the
	 * engine and the driver agree whichever of the two the engine follows. */
	uint16_t hw = rd(g, ring + (rx ? RDMA_PROD_INDEX : TDMA_CONS_INDEX)) & INDEX_MASK;
	unsigned first = hw % n;
	wr(g, regs + DMA_SCB_BURST_SIZE, SCB_BURST);
	wr(g, ring + DMA_START_ADDR, 0);
	wr(g, ring + DMA_END_ADDR, n * DESC_WORDS - 1);
	wr(g, ring + (rx ? RDMA_READ_PTR : TDMA_READ_PTR), first * DESC_WORDS);
	wr(g, ring + (rx ? RDMA_WRITE_PTR : TDMA_WRITE_PTR), first * DESC_WORDS);
	wr(g, ring + DMA_RING_BUF_SIZE, n << 16 | buf_size);
	wr(g, ring + DMA_MBUF_DONE_THRESH, 1);
	if (rx) {
		wr(g, ring + RDMA_XON_XOFF_THRESH, 5u << 16 | n >> 4);
		g->rx_cons = hw; /* the consumer starts at the producer: empty */
		wr(g, ring + RDMA_CONS_INDEX, g->rx_cons);
		g->rx_next = first;
	} else {
		wr(g, ring + TDMA_FLOW_PERIOD, 0);
		g->tx_prod = hw; /* the producer starts at the consumer: empty */
		wr(g, ring + TDMA_PROD_INDEX, g->tx_prod);
		g->tx_next = first;
	}
	wr(g, regs + DMA_RING_CFG, 1u << DEFAULT_RING);
}

/*
 * RGMII clock delays: at gigabit speed exactly one side must delay each clock by ~2 ns (RGMII
 * 2.0). The device tree says "rgmii-rxid". Two combinations run on real Pi 4s:
 *  - "phy" (the default): the MAC adds no TX delay (ID_MODE_DIS set) and the PHY keeps its own
 *    delays, untouched. U-Boot's bcmgenet (its Pi configs build no Broadcom PHY driver) and
 *    Circle's bcm54213 do this, and program the PHY's delays no more than uk does.
 *  - "rxid" (genet.rgmii=rxid): the MAC delays TXC (ID_MODE_DIS clear) and the PHY is set to
 *    delay RXC only, as Linux's bcmmii.c and broadcom PHY driver do for "rgmii-rxid".
 * Mixing them (MAC delay on, PHY untouched) may delay TXC twice. docs/boards.md, item 5.
 */
static void rgmii_setup(struct genet *g, const struct mdio *m)
{
	const char *arg = uk_config_get("genet.rgmii");
	bool rxid = arg && strcmp(arg, "rxid") == 0;
	if (arg && !rxid && strcmp(arg, "phy") != 0)
		kprintf("genet: genet.rgmii=%s unknown (phy or rxid): using phy\n", arg);
	if (rxid && m) {
		int r = bcm54213_rgmii_rxid(m);
		if (r < 0)
			kprintf("genet: PHY delays not set (%d)\n", r);
	}
	uint32_t oob = rd(g, EXT_RGMII_OOB_CTRL) & ~(OOB_DISABLE | ID_MODE_DIS | RGMII_LINK);
	wr(g, EXT_RGMII_OOB_CTRL, oob | RGMII_MODE_EN | (rxid ? 0 : ID_MODE_DIS));
	kprintf("genet: RGMII delays: %s\n",
		rxid ? "MAC delays TXC, PHY delays RXC (genet.rgmii=rxid, as Linux)"
		     : "PHY's own, none in the MAC (as U-Boot and Circle)");
}

bool genet_dt_enabled(const void *fdt)
{
	if (!fdt)
		return false;
	int node = fdt_node_offset_by_compatible(fdt, -1, "brcm,bcm2711-genet-v5");
	if (node < 0)
		return false;
	const char *status = fdt_getprop(fdt, node, "status", NULL);
	return !status || strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

struct netdev *genet_probe(uintptr_t base, unsigned irq)
{
	struct genet *g = &genet;
	if (g->netdev.transmit)
		return &g->netdev; /* already probed */
	g->base = base;
	g->rev = rd(g, SYS_REV_CTRL);
	if (REV_MAJOR(g->rev) != REV_MAJOR_V5)
		return NULL; /* absent (0, all ones) or another generation */

	g->rx_bufs = aligned_alloc(DCACHE_LINE, (size_t)RX_DESCS * RX_BUF);
	g->tx_bufs = aligned_alloc(DCACHE_LINE, (size_t)TX_DESCS * TX_BUF);
	if (!g->rx_bufs || !g->tx_bufs) {
		free(g->rx_bufs);
		free(g->tx_bufs);
		return NULL;
	}

	wr(g, SYS_PORT_CTRL, PORT_MODE_EXT_GPHY);
	umac_reset(g);
	/* every interrupt masked and cleared until the rings are ready */
	wr(g, INTRL2_0 + INTRL2_MASK_SET, ~0u);
	wr(g, INTRL2_0 + INTRL2_CLEAR, ~0u);
	wr(g, INTRL2_1 + INTRL2_MASK_SET, ~0u);
	wr(g, INTRL2_1 + INTRL2_CLEAR, ~0u);

	if (bcm_mailbox_board_mac(g->netdev.mac) != 0) {
		/* locally administered, unicast: every Pi 4 answers the mailbox, so a fallback */
		static const uint8_t fallback[6] = {0x02, 0x75, 0x6b, 0x00, 0x00, 0x04};
		memcpy(g->netdev.mac, fallback, 6);
	}
	set_mac(g, g->netdev.mac);

	/* DMA off (firmware may have left it running) and the transmit FIFO flushed before the
	 * rings change; an engine stops at the end of its current burst */
	wr(g, RDMA_REGS + DMA_CTRL, 0);
	wr(g, TDMA_REGS + DMA_CTRL, 0);
	for (unsigned i = 0; i < 500; i++) {
		if ((rd(g, RDMA_REGS + DMA_STATUS) & rd(g, TDMA_REGS + DMA_STATUS)) & DMA_DISABLED)
			break;
		sleep_us(10);
	}
	wr(g, UMAC_TX_FLUSH, 1);
	sleep_us(10);
	wr(g, UMAC_TX_FLUSH, 0);

	/* receive buffers: no dirty line may be written back over what the device stores */
	dcache_inval_range(g->rx_bufs, (size_t)RX_DESCS * RX_BUF);
	for (unsigned i = 0; i < RX_DESCS; i++) {
		uintptr_t a = (uintptr_t)(g->rx_bufs + (size_t)i * RX_BUF);
		wr(g, RX_DESC_BASE + i * DESC_SIZE + DESC_ADDR_LO, (uint32_t)a);
		wr(g, RX_DESC_BASE + i * DESC_SIZE + DESC_ADDR_HI, (uint32_t)((uint64_t)a >> 32));
	}
	ring_setup(g, true, RX_DESCS, RX_BUF);
	ring_setup(g, false, TX_DESCS, TX_BUF);
	wr(g, RDMA_REGS + DMA_CTRL, DMA_EN | DMA_RING_BUF_EN(DEFAULT_RING));
	wr(g, TDMA_REGS + DMA_CTRL, DMA_EN | DMA_RING_BUF_EN(DEFAULT_RING));

	struct mdio m = {mdio_read, mdio_write, g};
	long phy = phy_start(&m);
	if (phy < 0)
		kprintf("genet: no PHY at MDIO address %u (%ld): link stays down\n", PHY_ADDR, phy);
	else if (((uint32_t)phy & BCM54213PE_ID_MASK) != BCM54213PE_ID)
		kprintf("genet: PHY id %08lx is not a BCM54213PE; driving it as a generic PHY\n",
			phy);

	/* only a BCM54213PE gets its vendor delay registers written */
	bool bcm = phy >= 0 && ((uint32_t)phy & BCM54213PE_ID_MASK) == BCM54213PE_ID;
	rgmii_setup(g, bcm ? &m : NULL);
	wr(g, UMAC_CMD, 2u << CMD_SPEED_SHIFT | CMD_PROMISC | CMD_TX_EN | CMD_RX_EN);

	g->netdev.name = "genet";
	g->netdev.mtu = 1500;
	g->netdev.receive = genet_receive;
	g->netdev.priv = g;
	g->netdev.link_down = true; /* until the PHY reports a link */
	irq_register(irq, genet_irq, g);
	wr(g, INTRL2_0 + INTRL2_CLEAR, ~0u);
	wr(g, INTRL2_0 + INTRL2_MASK_CLEAR, IRQ_RXDMA_MBDONE | IRQ_MDIO_DONE | IRQ_MDIO_ERROR);
	const uint8_t *a = g->netdev.mac;
	kprintf("genet: GENET v5.%u at 0x%lx, MAC %02x:%02x:%02x:%02x:%02x:%02x\n",
		(unsigned)REV_MINOR(g->rev), (unsigned long)base, a[0], a[1], a[2], a[3], a[4],
		a[5]);
	uk_timer_init(&g->poll, link_poll, g);
	uint64_t now = uk_now_ns();
	uk_timer_start(&g->poll, now);
	while (phy >= 0 && !g->link.up && uk_now_ns() - now < LINK_WAIT)
		uk_thread_sleep_until(uk_now_ns() + POLL_DOWN / 2);
	g->netdev.transmit = genet_transmit; /* last: marks the device ready */
	return &g->netdev;
}

unsigned genet_link_speed(void)
{
	return genet.link.up ? genet.link.speed : 0;
}
