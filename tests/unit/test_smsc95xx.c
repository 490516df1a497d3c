/*
 * drivers/usb/smsc95xx.c against a register-level model of the LAN9514's Ethernet function
 * (LAN9512/LAN9514 datasheet): self-clearing lite and PHY resets, an EEPROM behind
 * E2P_CMD/E2P_DATA, MII access to a PHY with autonegotiation and a latched-low link bit, the
 * interrupt endpoint's INT_STS word, the RX status word framing of bulk IN data and the TX
 * command words A/B of bulk OUT data. The model refuses registers the chip does not have and
 * notes every write that comes in the wrong order (RX/TX on before reset and address).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "usb_model.h"

extern const struct usb_driver smsc95xx_driver;

/* ---- the chip model ---- */
#define ID_REV	    0x000
#define INT_STS	    0x008
#define RX_CFG	    0x00c
#define TX_CFG	    0x010
#define HW_CFG	    0x014
#define PM_CTRL	    0x020
#define E2P_CMD	    0x030
#define E2P_DATA    0x034
#define BURST_CAP   0x038
#define INT_EP_CTL  0x068
#define BULK_IN_DLY 0x06c
#define MAC_CR	    0x100
#define ADDRH	    0x104
#define ADDRL	    0x108
#define MII_ADDR    0x114
#define MII_DATA    0x118
#define FLOW	    0x11c
#define COE_CR	    0x130

#define PHY_INT	       (1u << 15)
#define LRST	       (1u << 3)
#define BIR	       (1u << 12)
#define MEF	       (1u << 5)
#define BCE	       (1u << 1)
#define PHY_RST	       (1u << 4)
#define TX_ON	       (1u << 2)
#define TXEN	       (1u << 3)
#define RXEN	       (1u << 2)
#define FDPX	       (1u << 20)
#define RCVOWN	       (1u << 23)
#define MCPAS	       (1u << 19)
#define PRMS	       (1u << 18)
#define BCAST_OFF      (1u << 11)
#define BMSR_LINK      (1u << 2)
#define BMSR_ANEG_DONE (1u << 5)

static struct {
	uint32_t reg[0x134 / 4];
	uint16_t phy[32];
	uint8_t eeprom[512];
	bool eeprom_present;
	unsigned lrst_busy, phyrst_busy, mii_busy, e2p_busy; /* reads until a bit clears */
	bool reset_done, phy_reset_done, addrl_set, addrh_set;
	bool cable, link_latched_down;
	uint16_t partner; /* the link partner's ability word (ANLPAR) */
	unsigned order_errors, bad_requests, phy_bad_addr;
	/* bulk OUT */
	unsigned tx_count, zlps, bad_tx;
	bool zlp_due;
	uint8_t tx_frame[64][1600];
	uint32_t tx_len[64];
	uint32_t id;
} chip;

static bool known_reg(unsigned r)
{
	static const uint16_t regs[] = {
	    ID_REV, INT_STS, RX_CFG,  TX_CFG,	HW_CFG,	   0x018, 0x01c,      PM_CTRL,	  0x024,
	    0x028,  0x02c,   E2P_CMD, E2P_DATA, BURST_CAP, 0x064, INT_EP_CTL, BULK_IN_DLY};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i] == r)
			return true;
	return r >= MAC_CR && r <= COE_CR && r % 4 == 0;
}

static void phy_defaults(void)
{
	memset(chip.phy, 0, sizeof(chip.phy));
	chip.phy[0] = 0x3100; /* 100 Mb/s, autonegotiation on, full duplex */
	chip.phy[1] = 0x7809; /* 10/100 capable, autonegotiation able, extended */
	chip.phy[4] = 0x01e1;
	chip.link_latched_down = false;
}

static void raise_phy(uint16_t src)
{
	chip.phy[29] |= src;
	if (chip.phy[30] & src)
		chip.reg[INT_STS / 4] |= PHY_INT;
}

static void aneg(void)
{
	chip.phy[1] &= (uint16_t) ~(BMSR_LINK | BMSR_ANEG_DONE);
	chip.phy[5] = 0;
	if (!chip.cable)
		return;
	chip.phy[1] |= BMSR_LINK | BMSR_ANEG_DONE;
	chip.phy[5] = chip.partner;
	raise_phy(1u << 6); /* autonegotiation complete */
}

static void lite_reset(void)
{
	uint32_t keep_int_ep = 0;
	memset(chip.reg, 0, sizeof(chip.reg));
	chip.reg[ID_REV / 4] = chip.id;
	chip.reg[BULK_IN_DLY / 4] = 0x2000;
	chip.reg[ADDRH / 4] = 0xffff;
	chip.reg[ADDRL / 4] = 0xffffffff;
	chip.reg[INT_EP_CTL / 4] = keep_int_ep;
	chip.reset_done = true;
	chip.addrl_set = chip.addrh_set = false;
	chip.lrst_busy = 2;
}

static uint16_t phy_read(unsigned r)
{
	uint16_t v = chip.phy[r];
	if (r == 0 && (v & 0x8000) && --chip.phy[31] == 0) /* reset takes two reads */
		chip.phy[0] &= 0x7fff;
	if (r == 1) {
		if (chip.link_latched_down)
			v &= (uint16_t)~BMSR_LINK;
		chip.link_latched_down = false;
	}
	if (r == 29)
		chip.phy[29] = 0;
	return v;
}

static void phy_write(unsigned r, uint16_t v)
{
	if (r == 0) {
		if (v & 0x8000) {
			phy_defaults();
			chip.phy[0] |= 0x8000;
			chip.phy[31] = 2;
			return;
		}
		chip.phy[0] = v & (uint16_t)~0x0200; /* restart clears itself */
		if ((v & 0x1000) && (v & 0x0200))
			aneg();
		return;
	}
	if (r == 1 || r == 5 || r == 29 || r == 31)
		return; /* read-only */
	chip.phy[r] = v;
}

static void check_enable(uint32_t old, uint32_t val, uint32_t bits)
{
	if ((val & bits & ~old) &&
	    !(chip.reset_done && chip.phy_reset_done && chip.addrl_set && chip.addrh_set))
		chip.order_errors++;
}

static int reg_write(unsigned r, uint32_t v)
{
	uint32_t *p = &chip.reg[r / 4], old = *p;
	switch (r) {
	case ID_REV:
		return 0;
	case INT_STS:
		*p &= ~v;
		return 0;
	case HW_CFG:
		if (v & LRST) {
			lite_reset();
			chip.reg[HW_CFG / 4] = LRST;
			return 0;
		}
		break;
	case PM_CTRL:
		if (v & PHY_RST) {
			phy_defaults();
			chip.phy_reset_done = true;
			chip.phyrst_busy = 2;
		}
		break;
	case E2P_CMD:
		if (v & (1u << 31)) {
			unsigned cmd = (v >> 28) & 7, a = v & 0x1ff;
			v &= ~(1u << 10);
			if (!chip.eeprom_present)
				v |= 1u << 10; /* timeout: no EEPROM */
			else if (cmd == 0)
				chip.reg[E2P_DATA / 4] = chip.eeprom[a];
			chip.e2p_busy = 1;
		}
		break;
	case MII_ADDR:
		if (v & 1) {
			unsigned phy = (v >> 11) & 31, reg = (v >> 6) & 31;
			if (phy != 1) {
				chip.phy_bad_addr++;
				chip.reg[MII_DATA / 4] = 0xffff;
			} else if (v & 2) {
				phy_write(reg, (uint16_t)chip.reg[MII_DATA / 4]);
			} else {
				chip.reg[MII_DATA / 4] = phy_read(reg);
			}
			chip.mii_busy = 1;
		}
		break;
	case ADDRL:
		chip.addrl_set = true;
		break;
	case ADDRH:
		chip.addrh_set = true;
		v &= 0xffff;
		break;
	case MAC_CR:
		check_enable(old, v, TXEN | RXEN);
		break;
	case TX_CFG:
		check_enable(old, v, TX_ON);
		break;
	}
	*p = v;
	return 0;
}

static uint32_t reg_read(unsigned r)
{
	uint32_t v = chip.reg[r / 4];
	if (r == HW_CFG && chip.lrst_busy && --chip.lrst_busy == 0)
		chip.reg[r / 4] &= ~LRST;
	if (r == PM_CTRL && chip.phyrst_busy && --chip.phyrst_busy == 0)
		chip.reg[r / 4] &= ~PHY_RST;
	if (r == MII_ADDR && chip.mii_busy && --chip.mii_busy == 0)
		chip.reg[r / 4] &= ~1u;
	if (r == E2P_CMD && chip.e2p_busy && --chip.e2p_busy == 0)
		chip.reg[r / 4] &= ~(1u << 31);
	return v;
}

static int control(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint8_t *data,
		   uint16_t len)
{
	bool rd = type == 0xc0 && req == 0xa1, wr = type == 0x40 && req == 0xa0;
	if ((!rd && !wr) || value != 0 || len != 4 || !known_reg(index)) {
		chip.bad_requests++;
		return -EPIPE;
	}
	if (wr)
		return reg_write(index, (uint32_t)data[0] | (uint32_t)data[1] << 8 |
					    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24),
		       4;
	uint32_t v = reg_read(index);
	for (int i = 0; i < 4; i++)
		data[i] = (uint8_t)(v >> (8 * i));
	return 4;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* TX command A: buffer size 10:0, first/last segment 13/12, data offset 20:16, end alignment
 * 25:24; command B: packet length 10:0. One whole frame per transfer. */
static void bulk_out(uint8_t ep, const uint8_t *d, uint32_t len)
{
	if (ep != 0x02) {
		chip.bad_tx++;
		return;
	}
	if (len == 0) {
		chip.zlps++;
		if (!chip.zlp_due)
			chip.bad_tx++;
		chip.zlp_due = false;
		return;
	}
	if (chip.zlp_due)
		chip.bad_tx++; /* the previous transfer was never ended */
	chip.zlp_due = len % 512 == 0;
	if (!(chip.reg[MAC_CR / 4] & TXEN) || !(chip.reg[TX_CFG / 4] & TX_ON) || len < 8) {
		chip.bad_tx++;
		return;
	}
	uint32_t a = le32(d), b = le32(d + 4), n = a & 0x7ff;
	if (!(a & (1u << 13)) || !(a & (1u << 12)) || ((a >> 16) & 0x1f) || ((a >> 24) & 3) ||
	    (b & 0x7ff) != n || n != len - 8 || n < 14) {
		chip.bad_tx++;
		return;
	}
	if (chip.tx_count < 64) {
		memcpy(chip.tx_frame[chip.tx_count], d + 8, n);
		chip.tx_len[chip.tx_count] = n;
	}
	chip.tx_count++;
}

static const struct chip_ops ops = {control, bulk_out};

static void chip_init(bool eeprom, const uint8_t *mac)
{
	memset(&chip, 0, sizeof(chip));
	chip.id = 0xec000002;
	lite_reset();
	chip.reset_done = false;
	chip.lrst_busy = 0;
	phy_defaults();
	chip.eeprom_present = eeprom;
	memset(chip.eeprom, 0xff, sizeof(chip.eeprom));
	if (mac) {
		chip.eeprom[0] = 0xa5;
		memcpy(chip.eeprom + 1, mac, 6);
	}
	chip.cable = true;
	chip.partner = 0x41e1; /* 10/100 half and full, acknowledge */
	model_reset(&ops);
}

/* ---- helpers ---- */

static struct netdev *probe(int *result)
{
	uint8_t cfg[64];
	size_t n = model_config(cfg, 512, 4);
	struct usb_device *d = model_device(0x0424, 0xec00, USB_SPEED_HIGH);
	*result = smsc95xx_driver.probe(d, cfg, n);
	return *result == 0 ? model_netdev() : NULL;
}

/* Appends one frame as the chip delivers it: status word, frame, FCS, padding to 4 bytes. */
static uint32_t put_frame(uint8_t *b, uint32_t off, uint32_t flags, const uint8_t *f, uint32_t n)
{
	uint32_t st = ((n + 4) << 16) | flags;
	for (int i = 0; i < 4; i++)
		b[off + i] = (uint8_t)(st >> (8 * i));
	memcpy(b + off + 4, f, n);
	memset(b + off + 4 + n, 0xcc, 4); /* FCS */
	off += 4 + n + 4;
	while (off % 4)
		b[off++] = 0xee;
	return off;
}

static void fill(uint8_t *f, uint32_t n, unsigned seed)
{
	for (uint32_t i = 0; i < n; i++)
		f[i] = (uint8_t)(seed * 31 + i * 7);
}

static unsigned drain(struct netdev *nd, uint8_t (*out)[2048], size_t *lens, unsigned max)
{
	unsigned k = 0;
	size_t n;
	static uint8_t scratch[2048];
	while ((n = nd->receive(nd, k < max ? out[k] : scratch, 2048)) != 0) {
		if (k < max)
			lens[k] = n;
		k++;
	}
	return k;
}

static unsigned ready_calls;
static void on_ready(struct netdev *nd)
{
	(void)nd;
	ready_calls++;
}

/* ---- tests ---- */

static void test_probe_eeprom(void)
{
	static const uint8_t mac[6] = {0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56};
	chip_init(true, mac);
	int r;
	struct netdev *nd = probe(&r);
	CHECK(r == 0 && nd, "probe takes 0424:ec00 (%d)", r);
	if (!nd)
		return;
	CHECK(model_config_value == 1, "configuration 1 selected");
	CHECK(chip.reset_done && chip.phy_reset_done, "lite reset and PHY reset done");
	CHECK(memcmp(nd->mac, mac, 6) == 0, "MAC address from the EEPROM");
	CHECK(chip.reg[ADDRL / 4] == 0x12eb27b8 && chip.reg[ADDRH / 4] == 0x5634,
	      "ADDRL/ADDRH hold it, first byte least significant (%08x %04x)",
	      (unsigned)chip.reg[ADDRL / 4], (unsigned)chip.reg[ADDRH / 4]);
	uint32_t mac_cr = chip.reg[MAC_CR / 4], hw = chip.reg[HW_CFG / 4];
	CHECK((mac_cr & (TXEN | RXEN)) == (TXEN | RXEN) && (chip.reg[TX_CFG / 4] & TX_ON),
	      "transmitter and receiver on");
	CHECK(chip.order_errors == 0, "RX/TX enabled only after resets and the address");
	CHECK((mac_cr & MCPAS) && !(mac_cr & PRMS) && !(mac_cr & BCAST_OFF),
	      "MAC_CR: all multicast, broadcast, not promiscuous (%08x)", (unsigned)mac_cr);
	CHECK((hw & (MEF | BCE | BIR)) == (MEF | BCE | BIR) && !(hw & (3u << 9)),
	      "HW_CFG: multiple frames, burst cap, NAK when empty, no RX offset (%08x)",
	      (unsigned)hw);
	CHECK(chip.reg[BURST_CAP / 4] == 16384 / 512, "BURST_CAP fits the receive buffer (%u)",
	      (unsigned)chip.reg[BURST_CAP / 4]);
	CHECK(chip.reg[INT_EP_CTL / 4] & PHY_INT, "PHY interrupts reach the interrupt endpoint");
	CHECK(chip.reg[0x24 / 4] == 0x01110000, "LED_GPIO_CFG: the GPIOs drive the LEDs (%08x)",
	      (unsigned)chip.reg[0x24 / 4]);
	CHECK(chip.phy[4] == 0x01e1 && (chip.phy[30] & 0x50) == 0x50,
	      "PHY advertises 10/100 half/full, interrupts on link down and autoneg done");
	struct usb_xfer *in = model_pending(0x81);
	CHECK(in && in->len == 16384 && in->type == USB_EP_BULK, "a bulk IN transfer waits");
	CHECK(model_pending(0x83) && model_pending(0x83)->type == USB_EP_INTR,
	      "the interrupt endpoint is polled");
	CHECK(strstr(model_log, "(eeprom)") != NULL, "the log says where the address came from");
	CHECK(chip.bad_requests == 0 && chip.phy_bad_addr == 0 && model_errors == 0,
	      "no bad requests (%u), PHY addresses (%u) or bus misuse (%u)", chip.bad_requests,
	      chip.phy_bad_addr, model_errors);
}

static void test_mac_sources(void)
{
	static const uint8_t board[6] = {0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03};
	int r;
	chip_init(false, NULL);
	model_set_board_mac(board);
	struct netdev *nd = probe(&r);
	CHECK(nd && memcmp(nd->mac, board, 6) == 0 && chip.reg[ADDRL / 4] == 0x0132a6dc &&
		  chip.reg[ADDRH / 4] == 0x0302,
	      "no EEPROM: the board's address, in ADDRL/ADDRH");
	CHECK(strstr(model_log, "(board)") != NULL, "logged as the board's");

	chip_init(true, NULL); /* an EEPROM, but blank */
	model_set_board_mac(board);
	nd = probe(&r);
	CHECK(nd && memcmp(nd->mac, board, 6) == 0, "blank EEPROM: the board's address");

	static const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	chip_init(true, multicast);
	model_set_board_mac(NULL);
	nd = probe(&r);
	CHECK(nd && !(nd->mac[0] & 1) && (nd->mac[0] & 2),
	      "invalid EEPROM address, no board address: a local unicast one");
	CHECK(model_errors == 0 && chip.order_errors == 0, "no misuse");
}

static void test_foreign(void)
{
	chip_init(true, NULL);
	uint8_t cfg[64];
	size_t n = model_config(cfg, 512, 4);
	struct usb_device *d = model_device(0x0525, 0xa4a2, USB_SPEED_FULL);
	CHECK(smsc95xx_driver.probe(d, cfg, n) == -ENODEV && model_config_value == 0,
	      "another device (0525:a4a2) is left alone");
	d = model_device(0x0424, 0x7800, USB_SPEED_HIGH);
	CHECK(smsc95xx_driver.probe(d, cfg, n) == -ENODEV, "so is a LAN7800");
	d = model_device(0x0424, 0xec00, USB_SPEED_HIGH);
	CHECK(smsc95xx_driver.probe(d, cfg, 18) == -ENODEV, "and one without its endpoints");
}

static void deliver_interrupt(void)
{
	uint32_t st = chip.reg[INT_STS / 4];
	uint8_t w[4] = {(uint8_t)st, (uint8_t)(st >> 8), (uint8_t)(st >> 16), (uint8_t)(st >> 24)};
	model_advance_ms(10); /* the driver polls again after bInterval */
	if (st)
		model_in(0x83, w, 4);
}

static void test_link(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	CHECK(model_link_check() == 1, "autonegotiated: link up");
	CHECK((chip.reg[MAC_CR / 4] & FDPX) && !(chip.reg[MAC_CR / 4] & RCVOWN),
	      "100 full duplex: MAC_CR.FDPX set");
	CHECK(strstr(model_log, "link up, 100 Mb/s full duplex") != NULL, "logged");
	unsigned events = model_link_events;
	chip.cable = false;
	chip.phy[1] &= (uint16_t)~BMSR_LINK;
	chip.link_latched_down = true;
	raise_phy(1u << 4);
	deliver_interrupt();
	CHECK(model_link_events == events + 1, "the interrupt endpoint's PHY_INT asks for a check");
	CHECK(model_link_check() == 0, "cable out: link down");
	CHECK(!(chip.reg[INT_STS / 4] & PHY_INT) && chip.phy[29] == 0,
	      "the PHY's interrupt source and INT_STS.PHY_INT acknowledged");
	deliver_interrupt();
	CHECK(model_link_events == events + 1, "no interrupt while nothing changed");
	chip.cable = true;
	chip.partner = 0x4021; /* 10 half duplex only */
	aneg();
	deliver_interrupt();
	CHECK(model_link_events == events + 2 && model_link_check() == 1,
	      "cable back: link up again");
	CHECK(!(chip.reg[MAC_CR / 4] & FDPX) && (chip.reg[MAC_CR / 4] & RCVOWN),
	      "10 half duplex: FDPX clear, receive-own off");
	CHECK(strstr(model_log, "link up, 10 Mb/s half duplex") != NULL, "logged");
	CHECK(model_errors == 0 && chip.bad_requests == 0, "no misuse");
}

static void test_receive(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	nd->rx_ready = on_ready;
	ready_calls = 0;
	static uint8_t xfer[16384], f[3][1600], got[8][2048];
	size_t lens[8];
	static const uint32_t sizes[3] = {60, 1514, 61};
	uint32_t off = 0;
	for (int i = 0; i < 3; i++) {
		fill(f[i], sizes[i], (unsigned)i + 1);
		off = put_frame(xfer, off, 0, f[i], sizes[i]);
	}
	CHECK(model_in(0x81, xfer, off) == 0 && ready_calls == 1, "a transfer of three frames");
	unsigned k = drain(nd, got, lens, 8);
	bool same = k == 3;
	for (unsigned i = 0; same && i < 3; i++)
		same = lens[i] == sizes[i] && memcmp(got[i], f[i], sizes[i]) == 0;
	CHECK(same, "three frames out, byte for byte, FCS stripped (%u)", k);
	CHECK(nd->stats.rx_frames == 3 && nd->stats.rx_dropped == 0, "counted");
	CHECK(model_pending(0x81) != NULL, "the next IN transfer waits");

	/* error status and length error frames between good ones */
	off = put_frame(xfer, 0, 1u << 15 | 1u << 1, f[0], 60); /* ES + CRC error */
	off = put_frame(xfer, off, 0, f[1], 100);
	off = put_frame(xfer, off, 1u << 12, f[2], 61); /* length error */
	off = put_frame(xfer, off, 0, f[2], 61);
	model_in(0x81, xfer, off);
	k = drain(nd, got, lens, 8);
	CHECK(k == 2 && lens[0] == 100 && lens[1] == 61 && memcmp(got[1], f[2], 61) == 0,
	      "frames with error status dropped, the good ones kept");
	CHECK(nd->stats.rx_dropped == 2, "two counted as dropped (%llu)",
	      (unsigned long long)nd->stats.rx_dropped);

	/* a frame running past the end of the transfer */
	off = put_frame(xfer, 0, 0, f[0], 60);
	uint32_t cut = put_frame(xfer, off, 0, f[1], 1000);
	model_in(0x81, xfer, cut - 600);
	uint64_t dropped = nd->stats.rx_dropped;
	k = drain(nd, got, lens, 8);
	CHECK(k == 1 && lens[0] == 60 && nd->stats.rx_dropped == dropped + 1,
	      "a truncated frame: dropped, the one before it kept");

	/* two stray bytes after a frame; a zero status word; a runt length */
	off = put_frame(xfer, 0, 0, f[0], 60);
	model_in(0x81, xfer, off + 2);
	k = drain(nd, got, lens, 8);
	CHECK(k == 1 && nd->stats.rx_dropped == dropped + 2, "a truncated status word dropped");
	memset(xfer, 0, 64);
	model_in(0x81, xfer, 64);
	k = drain(nd, got, lens, 8);
	CHECK(k == 0 && nd->stats.rx_dropped == dropped + 3, "zeros: dropped once, no frame");
	off = put_frame(xfer, 0, 0, f[0], 6); /* 10 bytes with FCS: shorter than a header */
	model_in(0x81, xfer, off);
	CHECK(drain(nd, got, lens, 8) == 0 && nd->stats.rx_dropped == dropped + 4,
	      "a runt length dropped");

	/* a caller's buffer too small for the frame */
	off = put_frame(xfer, 0, 0, f[1], 1514);
	off = put_frame(xfer, off, 0, f[0], 60);
	model_in(0x81, xfer, off);
	uint8_t small[100];
	size_t n = nd->receive(nd, small, sizeof(small));
	CHECK(n == 60 && memcmp(small, f[0], 60) == 0 && nd->stats.rx_dropped == dropped + 5,
	      "a frame bigger than the caller's buffer is dropped, the next delivered");
	CHECK(model_in(0x81, xfer, 0) == 0 && nd->receive(nd, small, sizeof(small)) == 0,
	      "an empty transfer is no frame");
	CHECK(model_errors == 0, "no misuse");
}

static void test_ring(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	static uint8_t xfer[16384], f[1600], got[8][2048];
	size_t lens[8];
	unsigned filled = 0;
	for (unsigned i = 0; i < 20 && model_pending(0x81); i++) {
		fill(f, 100, i);
		uint32_t off = put_frame(xfer, 0, 0, f, 100);
		model_in(0x81, xfer, off);
		filled++;
	}
	CHECK(filled == 8 && !model_pending(0x81), "eight transfers fill the ring; no more asked");
	unsigned k = drain(nd, got, lens, 8);
	bool order = k == 8;
	for (unsigned i = 0; order && i < 8; i++) {
		fill(f, 100, i);
		order = lens[i] == 100 && memcmp(got[i], f, 100) == 0;
	}
	CHECK(order, "all eight delivered in order (%u)", k);
	CHECK(model_pending(0x81) != NULL, "and receiving resumes");
	model_fail(0x81, -EIO);
	CHECK(!model_pending(0x81) && nd->stats.rx_dropped == 1, "a failed transfer counts");
	model_advance_ms(20);
	CHECK(model_pending(0x81) != NULL, "and is retried after a pause");
	CHECK(model_errors == 0, "no misuse");
}

/* Random and mutated transfers: nothing may crash or read past the data (ASan poisons the rest
 * of the buffer), and whatever comes out must be a plausible frame. */
static void test_fuzz(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	static uint8_t xfer[16384], f[1600], got[2048];
	srand(12345);
	unsigned frames = 0, bad = 0;
	for (int it = 0; it < 3000; it++) {
		uint32_t len;
		if (it % 2) { /* random bytes */
			len = (uint32_t)rand() % 4096;
			for (uint32_t i = 0; i < len; i++)
				xfer[i] = (uint8_t)rand();
		} else { /* valid frames, then flipped bytes and a random cut */
			len = 0;
			while (len < 3000) {
				uint32_t n = 14 + (uint32_t)rand() % 1500;
				fill(f, n, (unsigned)it);
				len = put_frame(xfer, len, 0, f, n);
			}
			for (int j = 0; j < 4; j++)
				xfer[(uint32_t)rand() % len] ^= (uint8_t)(1u << (rand() % 8));
			len = (uint32_t)rand() % (len + 1);
		}
		if (model_in(0x81, xfer, len) != 0) {
			bad++;
			break;
		}
		size_t n;
		while ((n = nd->receive(nd, got, sizeof(got))) != 0) {
			frames++;
			if (n < 14 || n > 1518)
				bad++;
		}
	}
	CHECK(bad == 0, "3000 random or damaged transfers: no crash, %u plausible frames", frames);
	CHECK(model_pending(0x81) != NULL && model_errors == 0, "still receiving, no misuse");
}

static void test_transmit(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	static uint8_t f[3][1600];
	static const uint32_t sizes[3] = {20, 1514, 504};
	for (int i = 0; i < 3; i++) {
		fill(f[i], sizes[i], (unsigned)i + 7);
		CHECK(nd->transmit(nd, f[i], sizes[i]) == 0, "transmit %u bytes", sizes[i]);
	}
	unsigned n = model_run_out();
	CHECK(chip.bad_tx == 0, "command words A/B right, one whole frame per transfer");
	CHECK(chip.tx_count == 3 && n == 4 && chip.zlps == 1,
	      "three frames; the one filling a whole packet (8 + 504) ended by a ZLP");
	CHECK(chip.tx_len[0] == 60 && memcmp(chip.tx_frame[0], f[0], 20) == 0 &&
		  chip.tx_frame[0][20] == 0 && chip.tx_frame[0][59] == 0,
	      "a short frame padded with zeros to 60 bytes");
	CHECK(chip.tx_len[1] == 1514 && memcmp(chip.tx_frame[1], f[1], 1514) == 0 &&
		  chip.tx_len[2] == 504 && memcmp(chip.tx_frame[2], f[2], 504) == 0,
	      "the others byte for byte");
	CHECK(nd->stats.tx_frames == 3, "counted");
	int last = 0;
	unsigned ok = 0;
	for (int i = 0; i < 40 && (last = nd->transmit(nd, f[0], 100)) == 0; i++)
		ok++;
	CHECK(ok == 32 && last == -EAGAIN, "a full ring says -EAGAIN (%u queued)", ok);
	CHECK(nd->transmit(nd, f[1], 1519) == -EMSGSIZE && nd->transmit(nd, f[1], 0) == -EMSGSIZE,
	      "too long or empty: -EMSGSIZE");
	model_run_out();
	CHECK(chip.tx_count == 35 && chip.bad_tx == 0 && model_errors == 0,
	      "the queue drains in order (%u)", chip.tx_count);
}

int main(void)
{
	test_probe_eeprom();
	test_mac_sources();
	test_foreign();
	test_link();
	test_receive();
	test_ring();
	test_fuzz();
	test_transmit();
	return TAP_DONE();
}
