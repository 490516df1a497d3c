/*
 * Microchip LAN7800 USB 2.0 Gigabit Ethernet (the Pi 3B+'s network chip, 0424:7800, behind a
 * LAN7515 hub) and its siblings LAN7850/LAN7801, as a struct netdev.
 *
 * Written from the LAN7800 datasheet (register map: ID_REV, INT_STS, HW_CFG, PMT_CTL,
 * E2P_CMD/E2P_DATA, USB_CFG0, BURST_CAP, BULK_IN_DLY, INT_EP_CTL, RFE_CTL, FCT_RX_CTL/FCT_TX_CTL,
 * FCT_RX_FIFO_END/FCT_TX_FIFO_END, MAC_CR, MAC_RX, MAC_TX, RX_ADDRH/RX_ADDRL, MII_ACC/MII_DATA,
 * the MAC address perfect filter MAF_HI/MAF_LO; the "USB Vendor Commands" for register access;
 * the RX command A/B/C and TX command A/B of the bulk data) and the internal gigabit PHY's
 * registers (IEEE 802.3 clause 22 plus its interrupt mask/status). Tested against a
 * register-level host model (tests/unit/test_lan78xx.c); not yet run on a board.
 *
 * Receive: several frames per bulk IN transfer (up to BURST_CAP), each as RX command A (32 bits,
 * the length and error flags), B (32 bits), C (16 bits), then the frame with its FCS, padded so
 * the next command A starts on a 4-byte boundary. A ring of transfer buffers has one IN transfer
 * outstanding; receive() (thread context) unpacks the oldest. Anything that does not parse is
 * dropped and counted, and parsing never reads past what the transfer delivered.
 * Transmit: one frame per bulk OUT transfer, behind TX command A (length, insert FCS) and B.
 * Link: the MAC sets its speed and duplex from the PHY itself (MAC_CR auto speed/duplex); the
 * interrupt endpoint reports PHY_INT and usb_core's usb-net thread reads the PHY.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "netdev.h"
#include "sysreg.h"
#include "usb.h"

/* Registers (datasheet, register map). */
#define ID_REV		0x000
#define INT_STS		0x00c /* write 1 to clear */
#define HW_CFG		0x010
#define PMT_CTL		0x014
#define E2P_CMD		0x040
#define E2P_DATA	0x044
#define USB_CFG0	0x080
#define BURST_CAP	0x090
#define BULK_IN_DLY	0x094
#define INT_EP_CTL	0x098
#define RFE_CTL		0x0b0
#define FCT_RX_CTL	0x0c0
#define FCT_TX_CTL	0x0c4
#define FCT_RX_FIFO_END 0x0c8
#define FCT_TX_FIFO_END 0x0cc
#define FCT_FLOW	0x0d0
#define MAC_CR		0x100
#define MAC_RX		0x104
#define MAC_TX		0x108
#define FLOW		0x10c
#define RX_ADDRH	0x118
#define RX_ADDRL	0x11c
#define MII_ACC		0x120
#define MII_DATA	0x124
#define MAF_HI(n)	(0x400 + 8 * (n)) /* perfect filter entry n */
#define MAF_LO(n)	(0x404 + 8 * (n))

#define ID_REV_CHIP(v)	     ((v) >> 16)
#define INT_STS_PHY_INT	     (1u << 17) /* also INT_EP_CTL's enable and the endpoint's word */
#define HW_CFG_LED1_EN	     (1u << 21)
#define HW_CFG_LED0_EN	     (1u << 20)
#define HW_CFG_MEF	     (1u << 4) /* multiple Ethernet frames per USB transfer */
#define HW_CFG_LRST	     (1u << 1) /* lite reset, self-clearing */
#define PMT_CTL_READY	     (1u << 7)
#define PMT_CTL_PHY_RST	     (1u << 4) /* self-clearing */
#define E2P_CMD_BUSY	     (1u << 31)
#define E2P_CMD_READ	     (0u << 28)
#define E2P_CMD_TIMEOUT	     (1u << 10)
#define USB_CFG0_BIR	     (1u << 6) /* bulk IN empty response: NAK rather than a ZLP */
#define USB_CFG0_BCE	     (1u << 5) /* burst cap enable */
#define RFE_CTL_BCAST_EN     (1u << 10)
#define RFE_CTL_MCAST_EN     (1u << 9) /* all multicast */
#define RFE_CTL_DA_PERFECT   (1u << 1) /* unicast through the MAF perfect filter */
#define FCT_CTL_EN	     (1u << 31)
#define MAC_CR_AUTO_DUPLEX   (1u << 12)
#define MAC_CR_AUTO_SPEED    (1u << 11)
#define MAC_RX_MAX_SIZE(n)   ((uint32_t)(n) << 16)
#define MAC_RX_MAX_SIZE_MASK (0x3fffu << 16)
#define MAC_RX_RXEN	     (1u << 0)
#define MAC_TX_TXEN	     (1u << 0)
#define MAF_HI_VALID	     (1u << 31)
#define MII_ACC_PHY(a)	     ((uint32_t)(a) << 11)
#define MII_ACC_REG(r)	     ((uint32_t)(r) << 6)
#define MII_ACC_WRITE	     (1u << 1)
#define MII_ACC_BUSY	     (1u << 0)
/* TX command A (datasheet, "TX Command A") */
#define TX_CMD_A_FCS	  (1u << 22) /* the MAC appends the FCS */
#define TX_CMD_A_LEN_MASK 0xfffffu
/* RX command A (datasheet, "RX Command A") */
#define RX_CMD_A_RED	(1u << 22)   /* receive error detected */
#define RX_CMD_A_LEN(a) ((a)&0x3fff) /* frame length, FCS included */
#define RX_HDR		10	     /* commands A, B (32 bits) and C (16 bits) */
#define RX_PAD		2 /* RX_HDR + RX_PAD: whole 32-bit words, as the frame's padding */

/* The internal PHY: address 1; clause 22 registers and its interrupt mask/status. */
#define PHY_ADDR	    1
#define MII_BMCR	    0
#define MII_BMSR	    1
#define MII_ANAR	    4
#define MII_ANLPAR	    5
#define MII_CTRL1000	    9
#define MII_STAT1000	    10
#define PHY_INT_MASK	    25
#define PHY_INT_STS	    26 /* read to clear */
#define BMCR_RESET	    (1u << 15)
#define BMCR_ANENABLE	    (1u << 12)
#define BMCR_ANRESTART	    (1u << 9)
#define BMSR_LINK	    (1u << 2) /* latched low: read twice for the current state */
#define ANAR_CSMA	    0x0001
#define ANAR_10HD	    0x0020
#define ANAR_10FD	    0x0040
#define ANAR_100HD	    0x0080
#define ANAR_100FD	    0x0100
#define CTRL1000_FULL	    (1u << 9)
#define CTRL1000_HALF	    (1u << 8)
#define STAT1000_LP_FULL    (1u << 11)
#define STAT1000_LP_HALF    (1u << 10)
#define PHY_INT_MDINTPIN_EN (1u << 15)
#define PHY_INT_LINK_CHANGE (1u << 13)

#define EEPROM_SIGNATURE 0xa5 /* byte 0 of a programmed EEPROM; the MAC address follows */
#define RX_SLOTS	 8
#define RX_BUF		 16384 /* one bulk IN transfer: BURST_CAP keeps the chip within it */
#define TX_SLOTS	 32
#define TX_BUF		 2048
#define TX_HDR		 8
#define ETH_MIN		 14
#define ETH_MAX		 1518 /* a VLAN-tagged frame without FCS */
#define ETH_PAD		 60
#define FCS		 4
#define FIFO_SIZE	 (12 * 1024) /* each way: FCT_*_FIFO_END in 512-byte units */
#define BULK_IN_DELAY	 0x800
#define WAIT_MS		 1000

struct lan {
	struct netdev netdev;
	struct usb_device *dev;
	uint16_t mps_out;
	uint8_t *rx_bufs;
	uint32_t rx_len[RX_SLOTS];
	unsigned rx_head, rx_tail, rx_count;
	uint32_t rx_off;
	bool rx_busy;
	struct usb_xfer rx;
	uint8_t *tx_bufs;
	uint16_t tx_len[TX_SLOTS];
	unsigned tx_head, tx_count;
	bool tx_busy, tx_zlp;
	struct usb_xfer tx;
	struct usb_xfer intr;
	uint8_t *intr_buf;
	unsigned intr_ms;
	struct uk_timer rx_retry, intr_poll;
	int link;
};

#define LAN_VID 0x0424
static const uint16_t ids[] = {0x7800, 0x7850, 0x7801}; /* LAN7800, LAN7850, LAN7801 */

static int reg_read(struct lan *l, uint16_t reg, uint32_t *val)
{
	uint8_t b[4];
	int r = usb_control(l->dev, USB_REQ_IN | USB_REQ_VENDOR | USB_REQ_DEVICE,
			    USB_VENDOR_READ_REGISTER, 0, reg, b, 4);
	if (r != 4)
		return r < 0 ? r : -EIO;
	*val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

static int reg_write(struct lan *l, uint16_t reg, uint32_t val)
{
	uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
			(uint8_t)(val >> 24)};
	int r = usb_control(l->dev, USB_REQ_VENDOR | USB_REQ_DEVICE, USB_VENDOR_WRITE_REGISTER, 0,
			    reg, b, 4);
	return r < 0 ? r : 0;
}

static int reg_set(struct lan *l, uint16_t reg, uint32_t clear, uint32_t set)
{
	uint32_t v;
	int r = reg_read(l, reg, &v);
	return r < 0 ? r : reg_write(l, reg, (v & ~clear) | set);
}

static int reg_wait(struct lan *l, uint16_t reg, uint32_t mask, uint32_t want)
{
	for (int i = 0; i < WAIT_MS; i++) {
		uint32_t v;
		int r = reg_read(l, reg, &v);
		if (r < 0)
			return r;
		if ((v & mask) == want)
			return 0;
		usb_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/* MII management through MII_ACC/MII_DATA (datasheet, MII_ACC): wait for BUSY to clear. */
static int mii_read(struct lan *l, unsigned reg, uint16_t *val)
{
	uint32_t v;
	int r = reg_wait(l, MII_ACC, MII_ACC_BUSY, 0);
	if (r == 0)
		r = reg_write(l, MII_ACC, MII_ACC_PHY(PHY_ADDR) | MII_ACC_REG(reg) | MII_ACC_BUSY);
	if (r == 0)
		r = reg_wait(l, MII_ACC, MII_ACC_BUSY, 0);
	if (r == 0)
		r = reg_read(l, MII_DATA, &v);
	if (r == 0)
		*val = (uint16_t)v;
	return r;
}

static int mii_write(struct lan *l, unsigned reg, uint16_t val)
{
	int r = reg_wait(l, MII_ACC, MII_ACC_BUSY, 0);
	if (r == 0)
		r = reg_write(l, MII_DATA, val);
	if (r == 0)
		r = reg_write(l, MII_ACC,
			      MII_ACC_PHY(PHY_ADDR) | MII_ACC_REG(reg) | MII_ACC_WRITE |
				  MII_ACC_BUSY);
	if (r == 0)
		r = reg_wait(l, MII_ACC, MII_ACC_BUSY, 0);
	return r;
}

/* One EEPROM byte through E2P_CMD/E2P_DATA: -EIO when nothing answers. */
static int eeprom_read(struct lan *l, unsigned addr, uint8_t *val)
{
	uint32_t v;
	int r = reg_write(l, E2P_CMD, E2P_CMD_BUSY | E2P_CMD_READ | (addr & 0x1ff));
	if (r == 0)
		r = reg_wait(l, E2P_CMD, E2P_CMD_BUSY, 0);
	if (r == 0)
		r = reg_read(l, E2P_CMD, &v);
	if (r == 0 && (v & E2P_CMD_TIMEOUT))
		r = -EIO;
	if (r == 0)
		r = reg_read(l, E2P_DATA, &v);
	if (r == 0)
		*val = (uint8_t)v;
	return r;
}

static bool mac_valid(const uint8_t m[6])
{
	static const uint8_t zero[6];
	return !(m[0] & 1) && memcmp(m, zero, 6) != 0;
}

/* The MAC address: the EEPROM's, else the board's, else a made-up local one. On the LAN7800
 * the EEPROM pins double as LED0/LED1 (datasheet, HW_CFG): the LEDs are off while it is read. */
static const char *choose_mac(struct lan *l, uint8_t mac[6])
{
	uint32_t hw = 0;
	bool leds = reg_read(l, HW_CFG, &hw) == 0 && (hw & (HW_CFG_LED0_EN | HW_CFG_LED1_EN));
	if (leds)
		reg_write(l, HW_CFG, hw & ~(HW_CFG_LED0_EN | HW_CFG_LED1_EN));
	uint8_t sig;
	bool ok = eeprom_read(l, 0, &sig) == 0 && sig == EEPROM_SIGNATURE;
	for (unsigned i = 0; ok && i < 6; i++)
		ok = eeprom_read(l, 1 + i, &mac[i]) == 0;
	if (leds)
		reg_write(l, HW_CFG, hw);
	if (ok && mac_valid(mac))
		return "eeprom";
	if (usb_net_board_mac(mac) == 0 && mac_valid(mac))
		return "board";
	static const uint8_t fallback[6] = {0x02, 0x75, 0x6b, 0x00, 0x00, 0x04};
	memcpy(mac, fallback, 6);
	return "made up";
}

/* ---- receive ---- */

static void rx_start(struct lan *l)
{
	if (l->rx_busy || l->rx_count == RX_SLOTS)
		return;
	l->rx.buf = l->rx_bufs + (size_t)l->rx_tail * RX_BUF;
	l->rx.len = RX_BUF;
	l->rx_busy = true;
	if (usb_submit(&l->rx) != 0) {
		l->rx_busy = false;
		uk_timer_start(&l->rx_retry, uk_now_ns() + 1000000);
	}
}

static void rx_done(struct usb_xfer *x)
{
	struct lan *l = x->arg;
	l->rx_busy = false;
	if (x->status != 0) {
		l->netdev.stats.rx_dropped++;
		uk_timer_start(&l->rx_retry, uk_now_ns() + 10000000);
		return;
	}
	if (x->actual) {
		l->rx_len[l->rx_tail] = x->actual > RX_BUF ? RX_BUF : x->actual;
		l->rx_tail = (l->rx_tail + 1) % RX_SLOTS;
		l->rx_count++;
	}
	rx_start(l);
	if (l->rx_count && l->netdev.rx_ready)
		l->netdev.rx_ready(&l->netdev);
}

static void rx_retry(struct uk_timer *t, void *arg)
{
	(void)t;
	uint64_t flags = irq_save();
	rx_start(arg);
	irq_restore(flags);
}

/* The next good frame of transfer b[0, len) at *off (FCS excluded), as smsc95xx.c does it but
 * with the 10-byte RX command header. */
static bool next_frame(struct lan *l, const uint8_t *b, uint32_t len, uint32_t *off,
		       const uint8_t **frame, size_t *flen)
{
	while (*off < len) {
		uint32_t o = *off;
		if (len - o < RX_HDR) { /* a truncated header */
			l->netdev.stats.rx_dropped++;
			*off = len;
			return false;
		}
		uint32_t a = (uint32_t)b[o] | (uint32_t)b[o + 1] << 8 | (uint32_t)b[o + 2] << 16 |
			     (uint32_t)b[o + 3] << 24;
		uint32_t n = RX_CMD_A_LEN(a);
		o += RX_HDR;
		if (n < ETH_MIN + FCS || n > ETH_MAX + FCS || n > len - o) {
			l->netdev.stats.rx_dropped++;
			*off = len;
			return false;
		}
		uint32_t next = o + n + ((4 - (n + RX_PAD) % 4) % 4);
		*off = next < len ? next : len;
		if (a & RX_CMD_A_RED) {
			l->netdev.stats.rx_dropped++;
			continue;
		}
		*frame = b + o;
		*flen = n - FCS;
		return true;
	}
	return false;
}

static size_t lan_receive(struct netdev *nd, void *buf, size_t max)
{
	struct lan *l = nd->priv;
	for (;;) {
		uint64_t flags = irq_save();
		if (!l->rx_count) {
			irq_restore(flags);
			return 0;
		}
		unsigned slot = l->rx_head;
		irq_restore(flags);
		const uint8_t *b = l->rx_bufs + (size_t)slot * RX_BUF, *frame;
		size_t flen = 0;
		bool got = next_frame(l, b, l->rx_len[slot], &l->rx_off, &frame, &flen);
		bool fits = got && flen <= max;
		if (fits)
			memcpy(buf, frame, flen);
		else if (got)
			nd->stats.rx_dropped++;
		if (l->rx_off >= l->rx_len[slot]) {
			l->rx_off = 0;
			flags = irq_save();
			l->rx_head = (l->rx_head + 1) % RX_SLOTS;
			l->rx_count--;
			rx_start(l);
			irq_restore(flags);
		}
		if (fits) {
			nd->stats.rx_frames++;
			return flen;
		}
	}
}

/* ---- transmit ---- */

static void tx_start(struct lan *l)
{
	while (l->tx_count && !l->tx_busy) {
		l->tx.buf = l->tx_bufs + (size_t)l->tx_head * TX_BUF;
		l->tx.len = l->tx_zlp ? 0 : l->tx_len[l->tx_head];
		l->tx_busy = true;
		if (usb_submit(&l->tx) == 0)
			return;
		l->tx_busy = false;
		l->netdev.stats.tx_dropped++;
		l->tx_zlp = false;
		l->tx_head = (l->tx_head + 1) % TX_SLOTS;
		l->tx_count--;
	}
}

static void tx_done(struct usb_xfer *x)
{
	struct lan *l = x->arg;
	l->tx_busy = false;
	if (x->status != 0)
		l->netdev.stats.tx_dropped++;
	if (x->status == 0 && !l->tx_zlp && x->len % l->mps_out == 0) {
		l->tx_zlp = true;
	} else {
		l->tx_zlp = false;
		l->tx_head = (l->tx_head + 1) % TX_SLOTS;
		l->tx_count--;
	}
	tx_start(l);
}

static int lan_transmit(struct netdev *nd, const void *frame, size_t len)
{
	struct lan *l = nd->priv;
	if (len > ETH_MAX || len == 0) {
		nd->stats.tx_dropped++;
		return -EMSGSIZE;
	}
	uint64_t flags = irq_save();
	if (l->tx_count == TX_SLOTS) {
		irq_restore(flags);
		nd->stats.tx_dropped++;
		return -EAGAIN;
	}
	unsigned slot = (l->tx_head + l->tx_count) % TX_SLOTS;
	irq_restore(flags);
	uint8_t *b = l->tx_bufs + (size_t)slot * TX_BUF;
	size_t n = len < ETH_PAD ? ETH_PAD : len;
	memcpy(b + TX_HDR, frame, len);
	memset(b + TX_HDR + len, 0, n - len);
	/* Command A: the frame's length, and the MAC adds the FCS; command B: no segmentation. */
	uint32_t a = ((uint32_t)n & TX_CMD_A_LEN_MASK) | TX_CMD_A_FCS;
	for (int i = 0; i < 4; i++) {
		b[i] = (uint8_t)(a >> (8 * i));
		b[4 + i] = 0;
	}
	l->tx_len[slot] = (uint16_t)(TX_HDR + n);
	flags = irq_save();
	l->tx_count++;
	tx_start(l);
	irq_restore(flags);
	nd->stats.tx_frames++;
	return 0;
}

/* ---- link ---- */

static void intr_submit(struct lan *l)
{
	if (usb_submit(&l->intr) != 0)
		uk_timer_start(&l->intr_poll, uk_now_ns() + (uint64_t)l->intr_ms * 1000000);
}

static void intr_done(struct usb_xfer *x)
{
	struct lan *l = x->arg;
	if (x->status == 0 && x->actual >= 4) {
		uint32_t st = (uint32_t)l->intr_buf[0] | (uint32_t)l->intr_buf[1] << 8 |
			      (uint32_t)l->intr_buf[2] << 16 | (uint32_t)l->intr_buf[3] << 24;
		if (st & INT_STS_PHY_INT)
			usb_net_link_event();
	}
	uk_timer_start(&l->intr_poll, uk_now_ns() + (uint64_t)l->intr_ms * 1000000);
}

static void intr_again(struct uk_timer *t, void *arg)
{
	(void)t;
	intr_submit(arg);
}

/* Thread context (usb-net thread). The MAC follows the PHY's speed and duplex by itself. */
static int lan_link_check(struct netdev *nd)
{
	struct lan *l = nd->priv;
	uint16_t sts, bmsr, anar, lpar, c1000, s1000;
	int r = mii_read(l, PHY_INT_STS, &sts); /* acknowledges the PHY's interrupt */
	if (r == 0)
		r = reg_write(l, INT_STS, INT_STS_PHY_INT);
	if (r == 0)
		r = mii_read(l, MII_BMSR, &bmsr);
	if (r == 0)
		r = mii_read(l, MII_BMSR, &bmsr);
	if (r < 0)
		return r;
	int up = !!(bmsr & BMSR_LINK);
	if (up == l->link)
		return up;
	if (up) {
		if ((r = mii_read(l, MII_ANAR, &anar)) < 0 ||
		    (r = mii_read(l, MII_ANLPAR, &lpar)) < 0 ||
		    (r = mii_read(l, MII_CTRL1000, &c1000)) < 0 ||
		    (r = mii_read(l, MII_STAT1000, &s1000)) < 0)
			return r;
		/* The best mode both ends offer (IEEE 802.3 annex 28B.3 priority); the 1000BASE-T
		 * partner bits sit two places above ours (clause 40.5.1.1). */
		uint16_t common = anar & lpar, giga = c1000 & (uint16_t)(s1000 >> 2);
		const char *speed = giga				 ? "1000"
				    : common & (ANAR_100FD | ANAR_100HD) ? "100"
									 : "10";
		bool full = giga				 ? (giga & CTRL1000_FULL) != 0
			    : common & (ANAR_100FD | ANAR_100HD) ? (common & ANAR_100FD) != 0
								 : (common & ANAR_10FD) != 0;
		kprintf("lan78xx: link up, %s Mb/s %s duplex\n", speed, full ? "full" : "half");
	} else {
		kprintf("lan78xx: link down\n");
	}
	l->link = up;
	return up;
}

/* ---- bring-up ---- */

static int lan_init(struct lan *l, uint32_t *id, const char **mac_from)
{
	struct usb_device *d = l->dev;
	int r = reg_read(l, ID_REV, id);
	if (r < 0)
		return r;
	bool known = false;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		known |= ID_REV_CHIP(*id) == ids[i];
	if (!known)
		return -ENODEV;
	/* Lite reset, self-clearing. */
	if ((r = reg_set(l, HW_CFG, 0, HW_CFG_LRST)) < 0 ||
	    (r = reg_wait(l, HW_CFG, HW_CFG_LRST, 0)) < 0)
		return r;
	uint8_t *m = l->netdev.mac;
	*mac_from = choose_mac(l, m);
	/* The Pi 3B+ wires LED0/LED1 to the jack's LEDs; now the EEPROM is done with them. */
	if (ID_REV_CHIP(*id) == 0x7800 &&
	    (r = reg_set(l, HW_CFG, 0, HW_CFG_LED0_EN | HW_CFG_LED1_EN)) < 0)
		return r;
	uint32_t lo = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
		      (uint32_t)m[3] << 24,
		 hi = (uint32_t)m[4] | (uint32_t)m[5] << 8;
	/* RX_ADDRL/H: the first four bytes, then the last two, first byte least significant; the
	 * same in perfect filter entry 0, which unicast reception goes through. */
	if ((r = reg_write(l, RX_ADDRL, lo)) < 0 || (r = reg_write(l, RX_ADDRH, hi)) < 0 ||
	    (r = reg_write(l, MAF_LO(0), lo)) < 0 ||
	    (r = reg_write(l, MAF_HI(0), hi | MAF_HI_VALID)) < 0)
		return r;
	/* Bulk IN: NAK when empty; several frames per transfer, at most BURST_CAP packets. */
	unsigned pkt = d->speed == USB_SPEED_HIGH ? 512 : 64;
	if ((r = reg_set(l, USB_CFG0, 0, USB_CFG0_BIR)) < 0 ||
	    (r = reg_write(l, BURST_CAP, RX_BUF / pkt)) < 0 ||
	    (r = reg_write(l, BULK_IN_DLY, BULK_IN_DELAY)) < 0 ||
	    (r = reg_set(l, HW_CFG, 0, HW_CFG_MEF)) < 0 ||
	    (r = reg_set(l, USB_CFG0, 0, USB_CFG0_BCE)) < 0 ||
	    (r = reg_write(l, FCT_RX_FIFO_END, (FIFO_SIZE - 512) / 512)) < 0 ||
	    (r = reg_write(l, FCT_TX_FIFO_END, (FIFO_SIZE - 512) / 512)) < 0 ||
	    (r = reg_write(l, INT_STS, 0xffffffffu)) < 0 || (r = reg_write(l, FLOW, 0)) < 0 ||
	    (r = reg_write(l, FCT_FLOW, 0)) < 0)
		return r;
	/* Receive filter: our address, broadcast, all multicast (as cdc_ecm asks). */
	if ((r = reg_set(l, RFE_CTL, 0, RFE_CTL_BCAST_EN | RFE_CTL_MCAST_EN | RFE_CTL_DA_PERFECT)) <
	    0)
		return r;
	/* PHY reset through PMT_CTL: done when PHY_RST clears and READY sets. */
	if ((r = reg_set(l, PMT_CTL, 0, PMT_CTL_PHY_RST)) < 0 ||
	    (r = reg_wait(l, PMT_CTL, PMT_CTL_PHY_RST | PMT_CTL_READY, PMT_CTL_READY)) < 0)
		return r;
	if ((r = reg_set(l, MAC_CR, 0, MAC_CR_AUTO_DUPLEX | MAC_CR_AUTO_SPEED)) < 0)
		return r;
	/* PHY: advertise 10/100/1000, interrupt on link change, autonegotiate. */
	uint16_t v;
	if ((r = mii_write(l, MII_ANAR,
			   ANAR_CSMA | ANAR_10HD | ANAR_10FD | ANAR_100HD | ANAR_100FD)) < 0 ||
	    (r = mii_write(l, MII_CTRL1000, CTRL1000_FULL | CTRL1000_HALF)) < 0 ||
	    (r = mii_read(l, PHY_INT_STS, &v)) < 0 ||
	    (r = mii_write(l, PHY_INT_MASK, PHY_INT_MDINTPIN_EN | PHY_INT_LINK_CHANGE)) < 0 ||
	    (r = mii_write(l, MII_BMCR, BMCR_ANENABLE | BMCR_ANRESTART)) < 0 ||
	    (r = reg_write(l, INT_EP_CTL, INT_STS_PHY_INT)) < 0)
		return r;
	/* Transmit on (MAC, then its FIFO), then receive (largest frame with FCS, then FIFO). */
	if ((r = reg_set(l, MAC_TX, 0, MAC_TX_TXEN)) < 0 ||
	    (r = reg_set(l, FCT_TX_CTL, 0, FCT_CTL_EN)) < 0 ||
	    (r = reg_set(l, MAC_RX, MAC_RX_MAX_SIZE_MASK, MAC_RX_MAX_SIZE(ETH_MAX + FCS))) < 0 ||
	    (r = reg_set(l, MAC_RX, 0, MAC_RX_RXEN)) < 0 ||
	    (r = reg_set(l, FCT_RX_CTL, 0, FCT_CTL_EN)) < 0)
		return r;
	return 0;
}

static int lan_probe(struct usb_device *d, const uint8_t *cfg, size_t len)
{
	bool known = false;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		known |= d->desc.idVendor == LAN_VID && d->desc.idProduct == ids[i];
	if (!known)
		return -ENODEV;
	/* One interface: bulk IN, bulk OUT, interrupt IN. */
	const uint8_t *end = cfg + len, *in = NULL, *out = NULL, *irq = NULL;
	for (const uint8_t *p = cfg; p; p = usb_desc_next(p, end)) {
		if (p[1] != USB_DT_ENDPOINT || p[0] < 7)
			continue;
		if ((p[3] & 3) == USB_EP_BULK && (p[2] & USB_DIR_IN) && !in)
			in = p;
		else if ((p[3] & 3) == USB_EP_BULK && !(p[2] & USB_DIR_IN) && !out)
			out = p;
		else if ((p[3] & 3) == USB_EP_INTR && (p[2] & USB_DIR_IN) && !irq)
			irq = p;
	}
	if (!in || !out || !irq)
		return -ENODEV;
	uint16_t mps_in = (uint16_t)((in[4] | in[5] << 8) & 0x7ff);
	uint16_t mps_out = (uint16_t)((out[4] | out[5] << 8) & 0x7ff);
	uint16_t mps_irq = (uint16_t)((irq[4] | irq[5] << 8) & 0x7ff);
	if (!mps_in || !mps_out || !mps_irq || mps_irq > 64)
		return -ENODEV;

	struct lan *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->rx_bufs = aligned_alloc(64, (size_t)RX_SLOTS * RX_BUF);
	l->tx_bufs = aligned_alloc(64, (size_t)TX_SLOTS * TX_BUF);
	l->intr_buf = aligned_alloc(64, 64);
	int r = -ENOMEM;
	if (!l->rx_bufs || !l->tx_bufs || !l->intr_buf)
		goto fail;
	l->dev = d;
	l->mps_out = mps_out;
	l->link = -1;
	r = usb_control(d, USB_REQ_DEVICE, USB_SET_CONFIGURATION, cfg[5], 0, NULL, 0);
	uint32_t id = 0;
	const char *mac_from = "";
	if (r >= 0)
		r = lan_init(l, &id, &mac_from);
	if (r < 0) {
		kprintf("lan78xx: device %u: bring-up failed (%d, id %08x)\n", d->addr, r,
			(unsigned)id);
		goto fail;
	}
	const uint8_t *m = l->netdev.mac;
	kprintf("lan78xx: device %u: LAN%04x rev %u, mac %02x:%02x:%02x:%02x:%02x:%02x (%s)\n",
		d->addr, (unsigned)ID_REV_CHIP(id), (unsigned)(id & 0xffff), m[0], m[1], m[2], m[3],
		m[4], m[5], mac_from);
	l->rx = (struct usb_xfer){.dev = d,
				  .ep = in[2],
				  .type = USB_EP_BULK,
				  .pid = USB_PID_AUTO,
				  .mps = mps_in,
				  .done = rx_done,
				  .arg = l};
	l->tx = (struct usb_xfer){.dev = d,
				  .ep = out[2],
				  .type = USB_EP_BULK,
				  .pid = USB_PID_AUTO,
				  .mps = mps_out,
				  .done = tx_done,
				  .arg = l};
	l->intr = (struct usb_xfer){.dev = d,
				    .ep = irq[2],
				    .type = USB_EP_INTR,
				    .pid = USB_PID_AUTO,
				    .mps = mps_irq,
				    .buf = l->intr_buf,
				    .len = 4,
				    .done = intr_done,
				    .arg = l};
	l->intr_ms = irq[6] ? irq[6] : 1;
	if (d->speed == USB_SPEED_HIGH)
		l->intr_ms = irq[6] > 4 ? 1u << (irq[6] - 4) : 1;
	uk_timer_init(&l->rx_retry, rx_retry, l);
	uk_timer_init(&l->intr_poll, intr_again, l);
	l->netdev.name = "lan78xx";
	l->netdev.mtu = 1500;
	l->netdev.receive = lan_receive;
	l->netdev.transmit = lan_transmit;
	l->netdev.priv = l;
	d->class_priv = l;
	uint64_t flags = irq_save();
	rx_start(l);
	irq_restore(flags);
	intr_submit(l);
	usb_net_register(&l->netdev, lan_link_check);
	return 0;
fail:
	free(l->rx_bufs);
	free(l->tx_bufs);
	free(l->intr_buf);
	free(l);
	return r;
}

const struct usb_driver lan78xx_driver = {.name = "lan78xx", .probe = lan_probe};
