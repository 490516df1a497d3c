/*
 * SMSC LAN9512/LAN9514 Ethernet (the Pi 3B's network chip: a hub, 0424:9514, with the Ethernet
 * function behind it, 0424:ec00) and its SMSC95xx siblings, as a struct netdev.
 *
 * Written from the SMSC LAN9512/LAN9514 datasheet (register map of chapter "Register
 * Descriptions": ID_REV, INT_STS, RX_CFG, TX_CFG, HW_CFG, PM_CTRL, E2P_CMD/E2P_DATA, BURST_CAP,
 * INT_EP_CTL, BULK_IN_DLY, MAC_CR, ADDRH/ADDRL, MII_ADDR/MII_DATA; the "USB Vendor Commands"
 * for register access; the "RX Status Format" and "TX Command Format" of the bulk data) and the
 * internal PHY's registers (IEEE 802.3 clause 22 plus the PHY's interrupt source/mask). Tested
 * against a register-level host model (tests/unit/test_smsc95xx.c); not yet run on a board.
 *
 * Receive: the chip packs several frames into one bulk IN transfer (up to BURST_CAP), each as a
 * status word, the frame with its FCS, and padding to the next 4-byte boundary. A ring of such
 * transfer buffers has one IN transfer outstanding; receive() (thread context) unpacks frames
 * from the oldest full buffer and hands the buffer back once it is empty. Anything that does not
 * parse is dropped and counted, and parsing never reads past what the transfer delivered.
 * Transmit: one frame per bulk OUT transfer, behind TX command words A and B.
 * Link: the interrupt endpoint reports INT_STS with PHY_INT when the PHY's link changes; the
 * check itself (MII reads) runs on usb_core's usb-net thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "netdev.h"
#include "sysreg.h"
#include "usb.h"

/* System control and status registers (datasheet, register map). */
#define ID_REV	     0x000
#define INT_STS	     0x008 /* write 1 to clear */
#define RX_CFG	     0x00c
#define TX_CFG	     0x010
#define HW_CFG	     0x014
#define PM_CTRL	     0x020
#define LED_GPIO_CFG 0x024
#define E2P_CMD	     0x030
#define E2P_DATA     0x034
#define BURST_CAP    0x038
#define INT_EP_CTL   0x068
#define BULK_IN_DLY  0x06c
/* MAC control and status registers */
#define MAC_CR	 0x100
#define ADDRH	 0x104
#define ADDRL	 0x108
#define MII_ADDR 0x114
#define MII_DATA 0x118
#define FLOW	 0x11c
#define COE_CR	 0x130

#define INT_STS_PHY_INT (1u << 15) /* also INT_EP_CTL's enable and the endpoint's word */
#define TX_CFG_ON	(1u << 2)
#define HW_CFG_BIR	(1u << 12) /* bulk IN empty response: NAK rather than a ZLP */
#define HW_CFG_RXDOFF	(3u << 9)  /* bytes of padding before each received frame */
#define HW_CFG_MEF	(1u << 5)  /* multiple Ethernet frames per USB transfer */
#define HW_CFG_LRST	(1u << 3)  /* lite reset, self-clearing */
#define HW_CFG_BCE	(1u << 1)  /* burst cap enable */
#define PM_CTRL_PHY_RST (1u << 4)  /* self-clearing */
#define LED_GPIO_SPD	(1u << 24) /* the GPIOs drive the speed, link and duplex LEDs */
#define LED_GPIO_LNK	(1u << 20)
#define LED_GPIO_FDX	(1u << 16)
#define E2P_CMD_BUSY	(1u << 31)
#define E2P_CMD_READ	(0u << 28)
#define E2P_CMD_TIMEOUT (1u << 10)
#define MAC_CR_RCVOWN	(1u << 23) /* disable receive own: half duplex */
#define MAC_CR_FDPX	(1u << 20)
#define MAC_CR_MCPAS	(1u << 19) /* pass all multicast */
#define MAC_CR_PRMS	(1u << 18)
#define MAC_CR_INVFILT	(1u << 17)
#define MAC_CR_HPFILT	(1u << 13)
#define MAC_CR_BCAST	(1u << 11) /* 1 = refuse broadcast */
#define MAC_CR_TXEN	(1u << 3)
#define MAC_CR_RXEN	(1u << 2)
#define MII_ADDR_PHY(a) ((uint32_t)(a) << 11)
#define MII_ADDR_REG(r) ((uint32_t)(r) << 6)
#define MII_ADDR_WRITE	(1u << 1)
#define MII_ADDR_BUSY	(1u << 0)
/* TX command words A and B (datasheet, "TX Command Format") */
#define TX_CMD_A_FIRST_SEG (1u << 13)
#define TX_CMD_A_LAST_SEG  (1u << 12)
/* RX status word (datasheet, "RX Status Format") */
#define RX_STS_FL(s) (((s) >> 16) & 0x3fff) /* frame length, FCS included */
#define RX_STS_ES    (1u << 15)		    /* error summary */
#define RX_STS_LE    (1u << 12)		    /* length error */

/* The internal PHY: address 1; clause 22 registers and its interrupt source/mask. */
#define PHY_ADDR	  1
#define MII_BMCR	  0
#define MII_BMSR	  1
#define MII_ANAR	  4
#define MII_ANLPAR	  5
#define PHY_INT_SRC	  29 /* read to clear */
#define PHY_INT_MASK	  30
#define BMCR_RESET	  (1u << 15)
#define BMCR_ANENABLE	  (1u << 12)
#define BMCR_ANRESTART	  (1u << 9)
#define BMSR_LINK	  (1u << 2) /* latched low: read twice for the current state */
#define ANAR_CSMA	  0x0001
#define ANAR_10HD	  0x0020
#define ANAR_10FD	  0x0040
#define ANAR_100HD	  0x0080
#define ANAR_100FD	  0x0100
#define PHY_INT_ANEG_COMP (1u << 6)
#define PHY_INT_LINK_DOWN (1u << 4)

#define EEPROM_SIGNATURE 0xa5 /* byte 0 of a programmed EEPROM; the MAC address follows */
#define RX_SLOTS	 8
#define RX_BUF		 16384 /* one bulk IN transfer: BURST_CAP keeps the chip within it */
#define TX_SLOTS	 32
#define TX_BUF		 2048
#define TX_HDR		 8
#define ETH_MIN		 14
#define ETH_MAX		 1518 /* a VLAN-tagged frame without FCS */
#define ETH_PAD		 60   /* the shortest frame on the wire without FCS */
#define FCS		 4
#define BULK_IN_DELAY	 0x2000 /* the datasheet's default */
#define WAIT_MS		 1000

struct smsc {
	struct netdev netdev;
	struct usb_device *dev;
	uint16_t mps_out;
	/* receive ring: [rx_head, rx_head + rx_count) hold transfers; rx_off is how far the
	 * thread has unpacked the head one; the IN transfer fills rx_tail */
	uint8_t *rx_bufs;
	uint32_t rx_len[RX_SLOTS];
	unsigned rx_head, rx_tail, rx_count;
	uint32_t rx_off;
	bool rx_busy;
	struct usb_xfer rx;
	/* transmit ring: [tx_head, tx_head + tx_count) wait; tx_head is on the wire when busy */
	uint8_t *tx_bufs;
	uint16_t tx_len[TX_SLOTS]; /* command words included */
	unsigned tx_head, tx_count;
	bool tx_busy, tx_zlp;
	struct usb_xfer tx;
	/* the interrupt endpoint */
	struct usb_xfer intr;
	uint8_t *intr_buf;
	unsigned intr_ms;
	struct uk_timer rx_retry, intr_poll;
	int link; /* what link_check found last: -1 not yet */
};

/* Supported devices: the SMSC95xx family speaks one protocol. */
static const uint16_t ids[] = {
    0xec00, /* LAN9512/LAN9514 Ethernet function (Pi 1B/2B/3B) */
    0x9500, /* LAN9500 */
    0x9505, /* LAN9500 (other strap) */
    0x9e00, /* LAN9500A */
    0x9e01, /* LAN9500A (other strap) */
    0x9530, /* LAN9530 */
    0x9730, /* LAN9730 */
    0x9e08, /* LAN89530 */
};
#define SMSC_VID 0x0424

static int reg_read(struct smsc *s, uint16_t reg, uint32_t *val)
{
	uint8_t b[4];
	int r = usb_control(s->dev, USB_REQ_IN | USB_REQ_VENDOR | USB_REQ_DEVICE,
			    USB_VENDOR_READ_REGISTER, 0, reg, b, 4);
	if (r != 4)
		return r < 0 ? r : -EIO;
	*val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

static int reg_write(struct smsc *s, uint16_t reg, uint32_t val)
{
	uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
			(uint8_t)(val >> 24)};
	int r = usb_control(s->dev, USB_REQ_VENDOR | USB_REQ_DEVICE, USB_VENDOR_WRITE_REGISTER, 0,
			    reg, b, 4);
	return r < 0 ? r : 0;
}

static int reg_set(struct smsc *s, uint16_t reg, uint32_t clear, uint32_t set)
{
	uint32_t v;
	int r = reg_read(s, reg, &v);
	return r < 0 ? r : reg_write(s, reg, (v & ~clear) | set);
}

/* Polls reg every millisecond until (reg & mask) == want, for at most a second. */
static int reg_wait(struct smsc *s, uint16_t reg, uint32_t mask, uint32_t want)
{
	for (int i = 0; i < WAIT_MS; i++) {
		uint32_t v;
		int r = reg_read(s, reg, &v);
		if (r < 0)
			return r;
		if ((v & mask) == want)
			return 0;
		usb_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/* MII management through MII_ADDR/MII_DATA (datasheet, MII_ADDR): wait for BUSY to clear. */
static int mii_read(struct smsc *s, unsigned reg, uint16_t *val)
{
	uint32_t v;
	int r = reg_wait(s, MII_ADDR, MII_ADDR_BUSY, 0);
	if (r == 0)
		r = reg_write(s, MII_ADDR,
			      MII_ADDR_PHY(PHY_ADDR) | MII_ADDR_REG(reg) | MII_ADDR_BUSY);
	if (r == 0)
		r = reg_wait(s, MII_ADDR, MII_ADDR_BUSY, 0);
	if (r == 0)
		r = reg_read(s, MII_DATA, &v);
	if (r == 0)
		*val = (uint16_t)v;
	return r;
}

static int mii_write(struct smsc *s, unsigned reg, uint16_t val)
{
	int r = reg_wait(s, MII_ADDR, MII_ADDR_BUSY, 0);
	if (r == 0)
		r = reg_write(s, MII_DATA, val);
	if (r == 0)
		r = reg_write(s, MII_ADDR,
			      MII_ADDR_PHY(PHY_ADDR) | MII_ADDR_REG(reg) | MII_ADDR_WRITE |
				  MII_ADDR_BUSY);
	if (r == 0)
		r = reg_wait(s, MII_ADDR, MII_ADDR_BUSY, 0);
	return r;
}

/* One EEPROM byte through E2P_CMD/E2P_DATA (datasheet, E2P_CMD): -EIO when nothing answers. */
static int eeprom_read(struct smsc *s, unsigned addr, uint8_t *val)
{
	uint32_t v;
	int r = reg_write(s, E2P_CMD, E2P_CMD_BUSY | E2P_CMD_READ | (addr & 0x1ff));
	if (r == 0)
		r = reg_wait(s, E2P_CMD, E2P_CMD_BUSY, 0);
	if (r == 0)
		r = reg_read(s, E2P_CMD, &v);
	if (r == 0 && (v & E2P_CMD_TIMEOUT))
		r = -EIO;
	if (r == 0)
		r = reg_read(s, E2P_DATA, &v);
	if (r == 0)
		*val = (uint8_t)v;
	return r;
}

static bool mac_valid(const uint8_t m[6])
{
	static const uint8_t zero[6];
	return !(m[0] & 1) && memcmp(m, zero, 6) != 0; /* unicast (ff:..:ff is multicast) */
}

/* The MAC address: the EEPROM's, else the board's, else a made-up local one. */
static const char *choose_mac(struct smsc *s, uint8_t mac[6])
{
	uint8_t sig;
	bool ok = eeprom_read(s, 0, &sig) == 0 && sig == EEPROM_SIGNATURE;
	for (unsigned i = 0; ok && i < 6; i++)
		ok = eeprom_read(s, 1 + i, &mac[i]) == 0;
	if (ok && mac_valid(mac))
		return "eeprom";
	if (usb_net_board_mac(mac) == 0 && mac_valid(mac))
		return "board";
	static const uint8_t fallback[6] = {0x02, 0x75, 0x6b, 0x00, 0x00, 0x03};
	memcpy(mac, fallback, 6);
	return "made up";
}

/* ---- receive ---- */

/* IRQs masked. Starts the IN transfer on the tail slot if there is room. */
static void rx_start(struct smsc *s)
{
	if (s->rx_busy || s->rx_count == RX_SLOTS)
		return;
	s->rx.buf = s->rx_bufs + (size_t)s->rx_tail * RX_BUF;
	s->rx.len = RX_BUF;
	s->rx_busy = true;
	if (usb_submit(&s->rx) != 0) {
		s->rx_busy = false;
		uk_timer_start(&s->rx_retry, uk_now_ns() + 1000000);
	}
}

/* Interrupt context. */
static void rx_done(struct usb_xfer *x)
{
	struct smsc *s = x->arg;
	s->rx_busy = false;
	if (x->status != 0) {
		s->netdev.stats.rx_dropped++; /* an error: give the device a moment */
		uk_timer_start(&s->rx_retry, uk_now_ns() + 10000000);
		return;
	}
	if (x->actual) {
		s->rx_len[s->rx_tail] = x->actual > RX_BUF ? RX_BUF : x->actual;
		s->rx_tail = (s->rx_tail + 1) % RX_SLOTS;
		s->rx_count++;
	}
	rx_start(s);
	if (s->rx_count && s->netdev.rx_ready)
		s->netdev.rx_ready(&s->netdev);
}

static void rx_retry(struct uk_timer *t, void *arg)
{
	(void)t;
	uint64_t flags = irq_save();
	rx_start(arg);
	irq_restore(flags);
}

/* The next good frame of transfer b[0, len) at *off (FCS excluded): true with *frame and *flen set,
 * or false when the transfer is used up. Bad frames are counted as dropped and skipped; a length
 * that cannot be right ends the transfer, as nothing after it can be trusted. */
static bool next_frame(struct smsc *s, const uint8_t *b, uint32_t len, uint32_t *off,
		       const uint8_t **frame, size_t *flen)
{
	while (*off < len) {
		uint32_t o = *off;
		if (len - o < 4) { /* a truncated status word */
			s->netdev.stats.rx_dropped++;
			*off = len;
			return false;
		}
		uint32_t st = (uint32_t)b[o] | (uint32_t)b[o + 1] << 8 | (uint32_t)b[o + 2] << 16 |
			      (uint32_t)b[o + 3] << 24;
		uint32_t n = RX_STS_FL(st);
		o += 4;
		if (n < ETH_MIN + FCS || n > ETH_MAX + FCS || n > len - o) {
			s->netdev.stats.rx_dropped++; /* garbage or a truncated frame */
			*off = len;
			return false;
		}
		/* RXDOFF is 0: the next status word starts on a 4-byte boundary */
		uint32_t next = o + n + ((4 - n % 4) % 4);
		*off = next < len ? next : len;
		if (st & (RX_STS_ES | RX_STS_LE)) {
			s->netdev.stats.rx_dropped++;
			continue;
		}
		*frame = b + o;
		*flen = n - FCS;
		return true;
	}
	return false;
}

static size_t smsc_receive(struct netdev *nd, void *buf, size_t max)
{
	struct smsc *s = nd->priv;
	for (;;) {
		uint64_t flags = irq_save();
		if (!s->rx_count) {
			irq_restore(flags);
			return 0;
		}
		unsigned slot = s->rx_head;
		irq_restore(flags);
		const uint8_t *b = s->rx_bufs + (size_t)slot * RX_BUF, *frame;
		size_t flen = 0;
		bool got = next_frame(s, b, s->rx_len[slot], &s->rx_off, &frame, &flen);
		bool fits = got && flen <= max;
		if (fits)
			memcpy(buf, frame, flen);
		else if (got)
			nd->stats.rx_dropped++;
		if (s->rx_off >= s->rx_len[slot]) { /* the transfer is used up: hand it back */
			s->rx_off = 0;
			flags = irq_save();
			s->rx_head = (s->rx_head + 1) % RX_SLOTS;
			s->rx_count--;
			rx_start(s);
			irq_restore(flags);
		}
		if (fits) {
			nd->stats.rx_frames++;
			return flen;
		}
	}
}

/* ---- transmit ---- */

/* IRQs masked. Puts the head frame (or the ZLP that ends one filling whole packets) on the
 * wire. */
static void tx_start(struct smsc *s)
{
	while (s->tx_count && !s->tx_busy) {
		s->tx.buf = s->tx_bufs + (size_t)s->tx_head * TX_BUF;
		s->tx.len = s->tx_zlp ? 0 : s->tx_len[s->tx_head];
		s->tx_busy = true;
		if (usb_submit(&s->tx) == 0)
			return;
		s->tx_busy = false; /* no channel free: drop the frame rather than stall the ring */
		s->netdev.stats.tx_dropped++;
		s->tx_zlp = false;
		s->tx_head = (s->tx_head + 1) % TX_SLOTS;
		s->tx_count--;
	}
}

/* Interrupt context. */
static void tx_done(struct usb_xfer *x)
{
	struct smsc *s = x->arg;
	s->tx_busy = false;
	if (x->status != 0)
		s->netdev.stats.tx_dropped++;
	if (x->status == 0 && !s->tx_zlp && x->len % s->mps_out == 0) {
		s->tx_zlp = true; /* the transfer filled whole packets: end it */
	} else {
		s->tx_zlp = false;
		s->tx_head = (s->tx_head + 1) % TX_SLOTS;
		s->tx_count--;
	}
	tx_start(s);
}

static int smsc_transmit(struct netdev *nd, const void *frame, size_t len)
{
	struct smsc *s = nd->priv;
	if (len > ETH_MAX || len == 0) {
		nd->stats.tx_dropped++;
		return -EMSGSIZE;
	}
	uint64_t flags = irq_save();
	if (s->tx_count == TX_SLOTS) {
		irq_restore(flags);
		nd->stats.tx_dropped++;
		return -EAGAIN;
	}
	unsigned slot = (s->tx_head + s->tx_count) % TX_SLOTS;
	irq_restore(flags);
	uint8_t *b = s->tx_bufs + (size_t)slot * TX_BUF;
	size_t n = len < ETH_PAD ? ETH_PAD : len;
	memcpy(b + TX_HDR, frame, len);
	memset(b + TX_HDR + len, 0, n - len);
	/* Command A: one buffer holding the whole frame; command B: the frame's length. */
	uint32_t a = TX_CMD_A_FIRST_SEG | TX_CMD_A_LAST_SEG | (uint32_t)n, cb = (uint32_t)n;
	for (int i = 0; i < 4; i++) {
		b[i] = (uint8_t)(a >> (8 * i));
		b[4 + i] = (uint8_t)(cb >> (8 * i));
	}
	s->tx_len[slot] = (uint16_t)(TX_HDR + n);
	flags = irq_save();
	s->tx_count++;
	tx_start(s);
	irq_restore(flags);
	nd->stats.tx_frames++;
	return 0;
}

/* ---- link ---- */

static void intr_submit(struct smsc *s)
{
	if (usb_submit(&s->intr) != 0)
		uk_timer_start(&s->intr_poll, uk_now_ns() + (uint64_t)s->intr_ms * 1000000);
}

/* Interrupt context: the interrupt endpoint answered with INT_STS (or NAKed). */
static void intr_done(struct usb_xfer *x)
{
	struct smsc *s = x->arg;
	if (x->status == 0 && x->actual >= 4) {
		uint32_t st = (uint32_t)s->intr_buf[0] | (uint32_t)s->intr_buf[1] << 8 |
			      (uint32_t)s->intr_buf[2] << 16 | (uint32_t)s->intr_buf[3] << 24;
		if (st & INT_STS_PHY_INT)
			usb_net_link_event();
	}
	uk_timer_start(&s->intr_poll, uk_now_ns() + (uint64_t)s->intr_ms * 1000000);
}

static void intr_again(struct uk_timer *t, void *arg)
{
	(void)t;
	intr_submit(arg);
}

/* Thread context (usb-net thread): reads the PHY and sets the MAC's duplex to match. */
static int smsc_link_check(struct netdev *nd)
{
	struct smsc *s = nd->priv;
	uint16_t src, bmsr, anar, lpar;
	int r = mii_read(s, PHY_INT_SRC, &src); /* acknowledges the PHY's interrupt */
	if (r == 0)
		r = reg_write(s, INT_STS, INT_STS_PHY_INT);
	if (r == 0)
		r = mii_read(s, MII_BMSR, &bmsr);
	if (r == 0)
		r = mii_read(s, MII_BMSR, &bmsr);
	if (r < 0)
		return r;
	int up = !!(bmsr & BMSR_LINK);
	if (up == s->link)
		return up;
	if (up) {
		r = mii_read(s, MII_ANAR, &anar);
		if (r == 0)
			r = mii_read(s, MII_ANLPAR, &lpar);
		if (r < 0)
			return r;
		/* The best mode both ends offer (IEEE 802.3 annex 28B.3 priority). */
		uint16_t common = anar & lpar;
		bool fast = common & (ANAR_100FD | ANAR_100HD);
		bool full = (common & ANAR_100FD) || (!fast && (common & ANAR_10FD));
		/* MAC_CR.FDPX must match the PHY; half duplex also ignores its own frames. */
		r = reg_set(s, MAC_CR, MAC_CR_FDPX | MAC_CR_RCVOWN,
			    full ? MAC_CR_FDPX : MAC_CR_RCVOWN);
		if (r < 0)
			return r;
		kprintf("smsc95xx: link up, %s Mb/s %s duplex\n", fast ? "100" : "10",
			full ? "full" : "half");
	} else {
		kprintf("smsc95xx: link down\n");
	}
	s->link = up;
	return up;
}

/* ---- bring-up ---- */

/* The datasheet's initialisation: reset, address, USB data path, PHY, then MAC enables. */
static int smsc_init(struct smsc *s, const char **mac_from)
{
	struct usb_device *d = s->dev;
	uint32_t id;
	int r = reg_read(s, ID_REV, &id);
	if (r < 0)
		return r;
	/* Lite reset: every register but the USB state to its default; it clears itself. */
	if ((r = reg_set(s, HW_CFG, 0, HW_CFG_LRST)) < 0 ||
	    (r = reg_wait(s, HW_CFG, HW_CFG_LRST, 0)) < 0)
		return r;
	if ((r = reg_set(s, PM_CTRL, 0, PM_CTRL_PHY_RST)) < 0 ||
	    (r = reg_wait(s, PM_CTRL, PM_CTRL_PHY_RST, 0)) < 0)
		return r;
	uint8_t *m = s->netdev.mac;
	*mac_from = choose_mac(s, m);
	/* ADDRL holds the first four bytes, ADDRH the last two, first byte least significant. */
	if ((r = reg_write(s, ADDRL,
			   (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
			       (uint32_t)m[3] << 24)) < 0 ||
	    (r = reg_write(s, ADDRH, (uint32_t)m[4] | (uint32_t)m[5] << 8)) < 0)
		return r;
	/* Bulk IN: NAK when empty; several frames per transfer, at most BURST_CAP packets. */
	unsigned pkt = d->speed == USB_SPEED_HIGH ? 512 : 64;
	if ((r = reg_set(s, HW_CFG, 0, HW_CFG_BIR)) < 0 ||
	    (r = reg_write(s, BURST_CAP, RX_BUF / pkt)) < 0 ||
	    (r = reg_write(s, BULK_IN_DLY, BULK_IN_DELAY)) < 0 ||
	    (r = reg_set(s, HW_CFG, HW_CFG_RXDOFF, HW_CFG_MEF | HW_CFG_BCE)) < 0 ||
	    (r = reg_write(s, INT_STS, 0xffffffffu)) < 0 || (r = reg_write(s, COE_CR, 0)) < 0 ||
	    (r = reg_write(s, FLOW, 0)) < 0 ||
	    (r = reg_write(s, LED_GPIO_CFG, LED_GPIO_SPD | LED_GPIO_LNK | LED_GPIO_FDX)) < 0)
		return r;
	/* PHY: reset, advertise 10/100 half and full, interrupt on link events, autonegotiate. */
	uint16_t v;
	if ((r = mii_write(s, MII_BMCR, BMCR_RESET)) < 0)
		return r;
	for (int i = 0; i < WAIT_MS; i++) {
		if ((r = mii_read(s, MII_BMCR, &v)) < 0)
			return r;
		if (!(v & BMCR_RESET))
			break;
		usb_sleep_ms(1);
	}
	if (v & BMCR_RESET)
		return -ETIMEDOUT;
	if ((r = mii_write(s, MII_ANAR,
			   ANAR_CSMA | ANAR_10HD | ANAR_10FD | ANAR_100HD | ANAR_100FD)) < 0 ||
	    (r = mii_read(s, PHY_INT_SRC, &v)) < 0 ||
	    (r = mii_write(s, PHY_INT_MASK, PHY_INT_ANEG_COMP | PHY_INT_LINK_DOWN)) < 0 ||
	    (r = mii_write(s, MII_BMCR, BMCR_ANENABLE | BMCR_ANRESTART)) < 0)
		return r;
	if ((r = reg_write(s, INT_EP_CTL, INT_STS_PHY_INT)) < 0)
		return r;
	/* MAC: our address and broadcast, all multicast (as cdc_ecm asks); then transmit and
	 * receive on. Duplex follows the link (smsc_link_check). */
	if ((r = reg_set(s, MAC_CR, MAC_CR_PRMS | MAC_CR_INVFILT | MAC_CR_HPFILT | MAC_CR_BCAST,
			 MAC_CR_MCPAS)) < 0 ||
	    (r = reg_set(s, MAC_CR, 0, MAC_CR_TXEN)) < 0 ||
	    (r = reg_write(s, TX_CFG, TX_CFG_ON)) < 0 ||
	    (r = reg_set(s, MAC_CR, 0, MAC_CR_RXEN)) < 0)
		return r;
	kprintf("smsc95xx: device %u: id %08x, mac %02x:%02x:%02x:%02x:%02x:%02x (%s)\n", d->addr,
		(unsigned)id, m[0], m[1], m[2], m[3], m[4], m[5], *mac_from);
	return 0;
}

static int smsc_probe(struct usb_device *d, const uint8_t *cfg, size_t len)
{
	bool known = false;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		known |= d->desc.idVendor == SMSC_VID && d->desc.idProduct == ids[i];
	if (!known)
		return -ENODEV;
	/* One interface: bulk IN, bulk OUT, interrupt IN (datasheet, "USB Descriptors"). */
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

	struct smsc *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rx_bufs = aligned_alloc(64, (size_t)RX_SLOTS * RX_BUF);
	s->tx_bufs = aligned_alloc(64, (size_t)TX_SLOTS * TX_BUF);
	s->intr_buf = aligned_alloc(64, 64);
	int r = -ENOMEM;
	if (!s->rx_bufs || !s->tx_bufs || !s->intr_buf)
		goto fail;
	s->dev = d;
	s->mps_out = mps_out;
	s->link = -1;
	r = usb_control(d, USB_REQ_DEVICE, USB_SET_CONFIGURATION, cfg[5], 0, NULL, 0);
	const char *mac_from;
	if (r >= 0)
		r = smsc_init(s, &mac_from);
	if (r < 0) {
		kprintf("smsc95xx: device %u: bring-up failed (%d)\n", d->addr, r);
		goto fail;
	}
	s->rx = (struct usb_xfer){.dev = d,
				  .ep = in[2],
				  .type = USB_EP_BULK,
				  .pid = USB_PID_AUTO,
				  .mps = mps_in,
				  .done = rx_done,
				  .arg = s};
	s->tx = (struct usb_xfer){.dev = d,
				  .ep = out[2],
				  .type = USB_EP_BULK,
				  .pid = USB_PID_AUTO,
				  .mps = mps_out,
				  .done = tx_done,
				  .arg = s};
	s->intr = (struct usb_xfer){.dev = d,
				    .ep = irq[2],
				    .type = USB_EP_INTR,
				    .pid = USB_PID_AUTO,
				    .mps = mps_irq,
				    .buf = s->intr_buf,
				    .len = 4,
				    .done = intr_done,
				    .arg = s};
	/* bInterval: milliseconds at full speed, 2^(n-1) microframes at high (USB 2.0 t. 9-13) */
	s->intr_ms = irq[6] ? irq[6] : 1;
	if (d->speed == USB_SPEED_HIGH)
		s->intr_ms = irq[6] > 4 ? 1u << (irq[6] - 4) : 1;
	uk_timer_init(&s->rx_retry, rx_retry, s);
	uk_timer_init(&s->intr_poll, intr_again, s);
	s->netdev.name = "smsc95xx";
	s->netdev.mtu = 1500;
	s->netdev.receive = smsc_receive;
	s->netdev.transmit = smsc_transmit;
	s->netdev.priv = s;
	d->class_priv = s;
	uint64_t flags = irq_save();
	rx_start(s);
	irq_restore(flags);
	intr_submit(s);
	usb_net_register(&s->netdev, smsc_link_check);
	return 0;
fail: /* nothing was submitted yet */
	free(s->rx_bufs);
	free(s->tx_bufs);
	free(s->intr_buf);
	free(s);
	return r;
}

const struct usb_driver smsc95xx_driver = {.name = "smsc95xx", .probe = smsc_probe};
