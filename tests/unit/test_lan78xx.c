/*
 * drivers/usb/lan78xx.c against a register-level model of the LAN7800 (LAN7800 datasheet):
 * ID_REV, self-clearing lite reset, PHY reset through PMT_CTL with its READY bit, an EEPROM
 * whose pins are the LED0/LED1 pins (reads time out while those LEDs are on), MII_ACC access to
 * a gigabit PHY with autonegotiation and a latched-low link bit, the interrupt endpoint's
 * INT_STS word, RX command A/B/C framing of bulk IN data and TX command A/B of bulk OUT data.
 * The model refuses registers the chip does not have and notes every enable that comes before
 * the resets and the address (in RX_ADDRL/H and perfect filter entry 0).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "usb_model.h"

extern const struct usb_driver lan78xx_driver;

#define ID_REV		0x000
#define INT_STS		0x00c
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
#define MAC_CR		0x100
#define MAC_RX		0x104
#define MAC_TX		0x108
#define RX_ADDRH	0x118
#define RX_ADDRL	0x11c
#define MII_ACC		0x120
#define MII_DATA	0x124
#define MAF_HI0		0x400
#define MAF_LO0		0x404

#define PHY_INT	       (1u << 17)
#define LRST	       (1u << 1)
#define MEF	       (1u << 4)
#define LEDS	       (3u << 20)
#define PHY_RST	       (1u << 4)
#define READY	       (1u << 7)
#define BIR	       (1u << 6)
#define BCE	       (1u << 5)
#define FCT_EN	       (1u << 31)
#define RXEN	       1u
#define TXEN	       1u
#define BMSR_LINK      (1u << 2)
#define BMSR_ANEG_DONE (1u << 5)
#define LINK_CHANGE    (1u << 13)

static struct {
	uint32_t reg[0x600 / 4];
	uint16_t phy[32];
	uint8_t eeprom[512];
	bool eeprom_present;
	unsigned lrst_busy, phyrst_busy, mii_busy, e2p_busy, bmcr_busy;
	bool reset_done, phy_reset_done, addrl_set, addrh_set, leds_off_for_eeprom;
	bool cable, link_latched_down, leds_at_reset;
	uint16_t partner, partner1000;
	unsigned order_errors, bad_requests, phy_bad_addr, eeprom_reads;
	unsigned tx_count, zlps, bad_tx;
	bool zlp_due;
	uint8_t tx_frame[64][1600];
	uint32_t tx_len[64];
	uint32_t id;
} chip;

static bool known_reg(unsigned r)
{
	if (r % 4)
		return false;
	return r <= 0x028 || (r >= E2P_CMD && r <= E2P_DATA) ||
	       (r >= USB_CFG0 && r <= INT_EP_CTL) || (r >= RFE_CTL && r <= 0x0d0) ||
	       (r >= MAC_CR && r <= 0x134) || (r >= 0x400 && r < 0x400 + 8 * 33);
}

static void phy_defaults(void)
{
	memset(chip.phy, 0, sizeof(chip.phy));
	chip.phy[0] = 0x1140;
	chip.phy[1] = 0x7949;
	chip.phy[4] = 0x01e1;
	chip.phy[9] = 0x0300;
	chip.link_latched_down = false;
}

static void raise_phy(uint16_t src)
{
	chip.phy[26] |= src;
	if (chip.phy[25] & src)
		chip.reg[INT_STS / 4] |= PHY_INT;
}

static void aneg(void)
{
	chip.phy[1] &= (uint16_t) ~(BMSR_LINK | BMSR_ANEG_DONE);
	chip.phy[5] = chip.phy[10] = 0;
	if (!chip.cable)
		return;
	chip.phy[1] |= BMSR_LINK | BMSR_ANEG_DONE;
	chip.phy[5] = chip.partner;
	chip.phy[10] = chip.partner1000;
	raise_phy(LINK_CHANGE);
}

static void lite_reset(void)
{
	memset(chip.reg, 0, sizeof(chip.reg));
	chip.reg[ID_REV / 4] = chip.id;
	chip.reg[HW_CFG / 4] = chip.leds_at_reset ? LEDS : 0; /* strap default */
	chip.reg[PMT_CTL / 4] = READY;
	chip.reg[BULK_IN_DLY / 4] = 0x800;
	chip.reg[MAC_RX / 4] = 1518u << 16;
	chip.reset_done = true;
	chip.addrl_set = chip.addrh_set = false;
	chip.lrst_busy = 2;
}

static uint16_t phy_read(unsigned r)
{
	uint16_t v = chip.phy[r];
	if (r == 0 && chip.bmcr_busy && --chip.bmcr_busy == 0)
		chip.phy[0] &= 0x7fff;
	if (r == 1) {
		if (chip.link_latched_down)
			v &= (uint16_t)~BMSR_LINK;
		chip.link_latched_down = false;
	}
	if (r == 26)
		chip.phy[26] = 0;
	return v;
}

static void phy_write(unsigned r, uint16_t v)
{
	if (r == 0) {
		if (v & 0x8000) {
			phy_defaults();
			chip.phy[0] |= 0x8000;
			chip.bmcr_busy = 2;
			return;
		}
		chip.phy[0] = v & (uint16_t)~0x0200;
		if ((v & 0x1000) && (v & 0x0200))
			aneg();
		return;
	}
	if (r == 1 || r == 5 || r == 10 || r == 26)
		return;
	chip.phy[r] = v;
}

static bool ready_to_enable(void)
{
	return chip.reset_done && chip.phy_reset_done && chip.addrl_set && chip.addrh_set &&
	       (chip.reg[MAF_HI0 / 4] & (1u << 31)) &&
	       chip.reg[MAF_LO0 / 4] == chip.reg[RX_ADDRL / 4] &&
	       (chip.reg[MAF_HI0 / 4] & 0xffff) == chip.reg[RX_ADDRH / 4];
}

static void check_enable(uint32_t old, uint32_t val, uint32_t bit)
{
	if ((val & bit & ~old) && !ready_to_enable())
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
			chip.reg[HW_CFG / 4] |= LRST;
			return 0;
		}
		break;
	case PMT_CTL:
		if (v & PHY_RST) {
			phy_defaults();
			chip.phy_reset_done = true;
			chip.phyrst_busy = 2;
			v &= ~READY;
		}
		break;
	case E2P_CMD:
		if (v & (1u << 31)) {
			unsigned cmd = (v >> 28) & 7, a = v & 0x1ff;
			v &= ~(1u << 10);
			/* The EEPROM shares its pins with LED0/LED1. */
			if (!chip.eeprom_present || (chip.reg[HW_CFG / 4] & LEDS)) {
				v |= 1u << 10;
			} else if (cmd == 0) {
				chip.reg[E2P_DATA / 4] = chip.eeprom[a];
				chip.eeprom_reads++;
			}
			chip.e2p_busy = 1;
		}
		break;
	case MII_ACC:
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
	case RX_ADDRL:
		chip.addrl_set = true;
		break;
	case RX_ADDRH:
		chip.addrh_set = true;
		v &= 0xffff;
		break;
	case MAC_TX:
		check_enable(old, v, TXEN);
		break;
	case FCT_TX_CTL:
	case FCT_RX_CTL:
		check_enable(old, v, FCT_EN);
		break;
	case MAC_RX:
		check_enable(old, v, RXEN);
		if ((v & RXEN) && ((v >> 16) & 0x3fff) < 1518)
			chip.order_errors++; /* frames would be cut */
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
	if (r == PMT_CTL && chip.phyrst_busy && --chip.phyrst_busy == 0)
		chip.reg[r / 4] = (chip.reg[r / 4] & ~PHY_RST) | READY;
	if (r == MII_ACC && chip.mii_busy && --chip.mii_busy == 0)
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

/* TX command A: length 19:0, FCS insertion bit 22 (no checksum offload, LSO or VLAN bits);
 * command B: 0 (no segmentation). One whole frame per transfer. */
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
		chip.bad_tx++;
	chip.zlp_due = len % 512 == 0;
	if (!(chip.reg[MAC_TX / 4] & TXEN) || !(chip.reg[FCT_TX_CTL / 4] & FCT_EN) || len < 8) {
		chip.bad_tx++;
		return;
	}
	uint32_t a = le32(d), b = le32(d + 4), n = a & 0xfffff;
	if (!(a & (1u << 22)) || (a & ~(0xfffffu | 1u << 22)) || b != 0 || n != len - 8 || n < 14) {
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
	chip.id = 0x78000002;
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
	chip.leds_at_reset = true;
	chip.cable = true;
	chip.partner = 0x41e1;
	chip.partner1000 = 0x0c00; /* the partner does 1000 half and full */
	model_reset(&ops);
}

static struct netdev *probe_as(uint16_t pid, int *result)
{
	uint8_t cfg[64];
	size_t n = model_config(cfg, 512, 4);
	struct usb_device *d = model_device(0x0424, pid, USB_SPEED_HIGH);
	*result = lan78xx_driver.probe(d, cfg, n);
	return *result == 0 ? model_netdev() : NULL;
}

static struct netdev *probe(int *result)
{
	return probe_as(0x7800, result);
}

/* One frame as the chip delivers it: RX command A (length with FCS, flags), B, C, the frame,
 * its FCS, and padding so the next command A is 4-byte aligned. */
static uint32_t put_frame(uint8_t *b, uint32_t off, uint32_t flags, const uint8_t *f, uint32_t n)
{
	uint32_t a = (n + 4) | flags, cb = 0x12345678;
	for (int i = 0; i < 4; i++) {
		b[off + i] = (uint8_t)(a >> (8 * i));
		b[off + 4 + i] = (uint8_t)(cb >> (8 * i));
	}
	b[off + 8] = 0xab;
	b[off + 9] = 0xcd;
	memcpy(b + off + 10, f, n);
	memset(b + off + 10 + n, 0xcc, 4);
	off += 10 + n + 4;
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

/* ---- tests ---- */

static void test_probe_eeprom(void)
{
	static const uint8_t mac[6] = {0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56};
	chip_init(true, mac);
	int r;
	struct netdev *nd = probe(&r);
	CHECK(r == 0 && nd, "probe takes 0424:7800 (%d)", r);
	if (!nd)
		return;
	CHECK(model_config_value == 1, "configuration 1 selected");
	CHECK(chip.reset_done && chip.phy_reset_done, "lite reset and PHY reset done");
	CHECK(chip.eeprom_reads >= 7 && memcmp(nd->mac, mac, 6) == 0,
	      "MAC address from the EEPROM, read with the LEDs off");
	CHECK((chip.reg[HW_CFG / 4] & LEDS) == LEDS, "LEDs on afterwards");
	CHECK(chip.reg[RX_ADDRL / 4] == 0x12eb27b8 && chip.reg[RX_ADDRH / 4] == 0x5634,
	      "RX_ADDRL/H hold it, first byte least significant (%08x %04x)",
	      (unsigned)chip.reg[RX_ADDRL / 4], (unsigned)chip.reg[RX_ADDRH / 4]);
	CHECK(chip.reg[MAF_LO0 / 4] == 0x12eb27b8 && chip.reg[MAF_HI0 / 4] == (0x5634u | 1u << 31),
	      "and perfect filter entry 0, marked valid");
	CHECK((chip.reg[MAC_TX / 4] & TXEN) && (chip.reg[FCT_TX_CTL / 4] & FCT_EN) &&
		  (chip.reg[MAC_RX / 4] & RXEN) && (chip.reg[FCT_RX_CTL / 4] & FCT_EN),
	      "MAC and FIFO transmit and receive on");
	CHECK(chip.order_errors == 0, "enabled only after resets and the address");
	CHECK(((chip.reg[MAC_RX / 4] >> 16) & 0x3fff) >= 1518, "MAC_RX takes full-size frames");
	uint32_t rfe = chip.reg[RFE_CTL / 4];
	CHECK((rfe & (1u << 10)) && (rfe & (1u << 9)) && (rfe & (1u << 1)),
	      "RFE_CTL: broadcast, multicast, our address (%08x)", (unsigned)rfe);
	CHECK((chip.reg[MAC_CR / 4] & (3u << 11)) == (3u << 11),
	      "MAC_CR: speed and duplex from the PHY");
	CHECK((chip.reg[HW_CFG / 4] & MEF) && (chip.reg[USB_CFG0 / 4] & (BIR | BCE)) == (BIR | BCE),
	      "multiple frames, burst cap, NAK when empty");
	CHECK(chip.reg[BURST_CAP / 4] == 16384 / 512 && chip.reg[FCT_RX_FIFO_END / 4] &&
		  chip.reg[FCT_TX_FIFO_END / 4],
	      "BURST_CAP fits the receive buffer (%u), FIFOs sized",
	      (unsigned)chip.reg[BURST_CAP / 4]);
	CHECK(chip.reg[INT_EP_CTL / 4] & PHY_INT, "PHY interrupts reach the interrupt endpoint");
	CHECK(chip.phy[4] == 0x01e1 && chip.phy[9] == 0x0300 && (chip.phy[25] & LINK_CHANGE),
	      "PHY advertises 10/100/1000, interrupts on link change");
	struct usb_xfer *in = model_pending(0x81);
	CHECK(in && in->len == 16384, "a bulk IN transfer waits");
	CHECK(model_pending(0x83) != NULL, "the interrupt endpoint is polled");
	CHECK(strstr(model_log, "LAN7800") && strstr(model_log, "(eeprom)"), "logged");
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
	CHECK(nd && memcmp(nd->mac, board, 6) == 0 && chip.reg[RX_ADDRL / 4] == 0x0132a6dc &&
		  chip.reg[RX_ADDRH / 4] == 0x0302,
	      "no EEPROM: the board's address, in RX_ADDRL/H");
	CHECK(strstr(model_log, "(board)") != NULL, "logged as the board's");
	chip_init(true, NULL);
	model_set_board_mac(board);
	nd = probe(&r);
	CHECK(nd && memcmp(nd->mac, board, 6) == 0, "blank EEPROM: the board's address");
	chip_init(false, NULL);
	chip.leds_at_reset = false;
	model_set_board_mac(board);
	nd = probe(&r);
	CHECK(nd && (chip.reg[HW_CFG / 4] & LEDS) == LEDS,
	      "LEDs off at reset (no EEPROM strap): switched on for the jack");
	static const uint8_t zero[6];
	chip_init(true, zero);
	model_set_board_mac(NULL);
	nd = probe(&r);
	CHECK(nd && !(nd->mac[0] & 1) && (nd->mac[0] & 2),
	      "zero EEPROM address, no board address: a local unicast one");
	CHECK(model_errors == 0 && chip.order_errors == 0, "no misuse");
}

static void test_ids(void)
{
	int r;
	chip_init(false, NULL);
	chip.id = 0x78500001;
	chip.reg[ID_REV / 4] = chip.id;
	CHECK(probe_as(0x7850, &r) != NULL, "a LAN7850 (0424:7850, ID_REV 7850) is taken");
	chip_init(false, NULL);
	chip.id = 0x12340000;
	chip.reg[ID_REV / 4] = chip.id;
	CHECK(probe_as(0x7800, &r) == NULL && r == -ENODEV && !(chip.reg[MAC_TX / 4] & TXEN),
	      "an unknown ID_REV is refused before anything is switched on");
	chip_init(false, NULL);
	uint8_t cfg[64];
	size_t n = model_config(cfg, 512, 4);
	CHECK(lan78xx_driver.probe(model_device(0x0424, 0xec00, USB_SPEED_HIGH), cfg, n) ==
		      -ENODEV &&
		  model_config_value == 0,
	      "a LAN9514 is left alone");
	CHECK(lan78xx_driver.probe(model_device(0x0424, 0x7800, USB_SPEED_HIGH), cfg, 25) ==
		  -ENODEV,
	      "and a LAN7800 without its endpoints");
}

static void deliver_interrupt(void)
{
	uint32_t st = chip.reg[INT_STS / 4];
	uint8_t w[4] = {(uint8_t)st, (uint8_t)(st >> 8), (uint8_t)(st >> 16), (uint8_t)(st >> 24)};
	model_advance_ms(10);
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
	CHECK(strstr(model_log, "link up, 1000 Mb/s full duplex") != NULL, "at 1000 full duplex");
	unsigned events = model_link_events;
	chip.cable = false;
	chip.phy[1] &= (uint16_t)~BMSR_LINK;
	chip.link_latched_down = true;
	raise_phy(LINK_CHANGE);
	deliver_interrupt();
	CHECK(model_link_events == events + 1, "the interrupt endpoint's PHY_INT asks for a check");
	CHECK(model_link_check() == 0 && strstr(model_log, "link down"), "cable out: link down");
	CHECK(!(chip.reg[INT_STS / 4] & PHY_INT) && chip.phy[26] == 0,
	      "the PHY's interrupt status and INT_STS.PHY_INT acknowledged");
	chip.cable = true;
	chip.partner = 0x4081; /* 100 half only */
	chip.partner1000 = 0;
	aneg();
	deliver_interrupt();
	CHECK(model_link_events == events + 2 && model_link_check() == 1,
	      "cable back: link up again");
	CHECK(strstr(model_log, "link up, 100 Mb/s half duplex") != NULL, "at 100 half duplex");
	CHECK(model_errors == 0 && chip.bad_requests == 0, "no misuse");
}

static void test_receive(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	static uint8_t xfer[16384], f[3][1600], got[8][2048];
	size_t lens[8];
	static const uint32_t sizes[3] = {60, 1514, 63};
	uint32_t off = 0;
	for (int i = 0; i < 3; i++) {
		fill(f[i], sizes[i], (unsigned)i + 1);
		off = put_frame(xfer, off, 0, f[i], sizes[i]);
	}
	CHECK(model_in(0x81, xfer, off) == 0, "a transfer of three frames");
	unsigned k = drain(nd, got, lens, 8);
	bool same = k == 3;
	for (unsigned i = 0; same && i < 3; i++)
		same = lens[i] == sizes[i] && memcmp(got[i], f[i], sizes[i]) == 0;
	CHECK(same, "three frames out, byte for byte, FCS stripped (%u)", k);
	CHECK(nd->stats.rx_frames == 3 && nd->stats.rx_dropped == 0, "counted");
	CHECK(model_pending(0x81) != NULL, "the next IN transfer waits");

	off = put_frame(xfer, 0, 1u << 22 | 1u << 18, f[0], 60); /* RED + FCS error */
	off = put_frame(xfer, off, 0, f[1], 101);
	off = put_frame(xfer, off, 1u << 22, f[2], 61);
	off = put_frame(xfer, off, 0, f[2], 62);
	model_in(0x81, xfer, off);
	k = drain(nd, got, lens, 8);
	CHECK(k == 2 && lens[0] == 101 && lens[1] == 62 && memcmp(got[1], f[2], 62) == 0,
	      "frames with RX command A's error bit dropped, the good ones kept");
	CHECK(nd->stats.rx_dropped == 2, "two counted as dropped");

	off = put_frame(xfer, 0, 0, f[0], 60);
	uint32_t cut = put_frame(xfer, off, 0, f[1], 1000);
	model_in(0x81, xfer, cut - 600);
	uint64_t dropped = nd->stats.rx_dropped;
	k = drain(nd, got, lens, 8);
	CHECK(k == 1 && lens[0] == 60 && nd->stats.rx_dropped == dropped + 1,
	      "a truncated frame: dropped, the one before it kept");
	off = put_frame(xfer, 0, 0, f[0], 60);
	model_in(0x81, xfer, off + 9); /* nine bytes: less than a header */
	k = drain(nd, got, lens, 8);
	CHECK(k == 1 && nd->stats.rx_dropped == dropped + 2, "a truncated header dropped");
	memset(xfer, 0, 64);
	model_in(0x81, xfer, 64);
	CHECK(drain(nd, got, lens, 8) == 0 && nd->stats.rx_dropped == dropped + 3,
	      "zeros: dropped once, no frame");
	off = put_frame(xfer, 0, 0, f[1], 1514);
	off = put_frame(xfer, off, 0, f[0], 60);
	model_in(0x81, xfer, off);
	uint8_t small[100];
	size_t n = nd->receive(nd, small, sizeof(small));
	CHECK(n == 60 && memcmp(small, f[0], 60) == 0 && nd->stats.rx_dropped == dropped + 4,
	      "a frame bigger than the caller's buffer is dropped, the next delivered");
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
		model_in(0x81, xfer, put_frame(xfer, 0, 0, f, 100));
		filled++;
	}
	CHECK(filled == 8 && !model_pending(0x81), "eight transfers fill the ring; no more asked");
	unsigned k = drain(nd, got, lens, 8);
	bool order = k == 8;
	for (unsigned i = 0; order && i < 8; i++) {
		fill(f, 100, i);
		order = lens[i] == 100 && memcmp(got[i], f, 100) == 0;
	}
	CHECK(order && model_pending(0x81), "all eight delivered in order, receiving resumes");
	model_fail(0x81, -EIO);
	model_advance_ms(20);
	CHECK(model_pending(0x81) && nd->stats.rx_dropped == 1,
	      "a failed transfer counts and is retried");
	CHECK(model_errors == 0, "no misuse");
}

static void test_fuzz(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	static uint8_t xfer[16384], f[1600], got[2048];
	srand(54321);
	unsigned frames = 0, bad = 0;
	for (int it = 0; it < 3000; it++) {
		uint32_t len;
		if (it % 2) {
			len = (uint32_t)rand() % 4096;
			for (uint32_t i = 0; i < len; i++)
				xfer[i] = (uint8_t)rand();
		} else {
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
	CHECK(chip.bad_tx == 0, "TX command A (length, FCS) and B right, one frame per transfer");
	CHECK(chip.tx_count == 3 && n == 4 && chip.zlps == 1,
	      "three frames; the one filling a whole packet (8 + 504) ended by a ZLP");
	CHECK(chip.tx_len[0] == 60 && memcmp(chip.tx_frame[0], f[0], 20) == 0 &&
		  chip.tx_frame[0][20] == 0 && chip.tx_frame[0][59] == 0,
	      "a short frame padded with zeros to 60 bytes");
	CHECK(chip.tx_len[1] == 1514 && memcmp(chip.tx_frame[1], f[1], 1514) == 0 &&
		  chip.tx_len[2] == 504 && memcmp(chip.tx_frame[2], f[2], 504) == 0,
	      "the others byte for byte");
	int last = 0;
	unsigned ok = 0;
	for (int i = 0; i < 40 && (last = nd->transmit(nd, f[0], 100)) == 0; i++)
		ok++;
	CHECK(ok == 32 && last == -EAGAIN, "a full ring says -EAGAIN (%u queued)", ok);
	CHECK(nd->transmit(nd, f[1], 1519) == -EMSGSIZE, "too long: -EMSGSIZE");
	model_run_out();
	CHECK(chip.tx_count == 35 && chip.bad_tx == 0 && model_errors == 0, "the queue drains (%u)",
	      chip.tx_count);
}

int main(void)
{
	test_probe_eeprom();
	test_mac_sources();
	test_ids();
	test_link();
	test_receive();
	test_ring();
	test_fuzz();
	test_transmit();
	return TAP_DONE();
}
