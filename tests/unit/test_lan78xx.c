/*
 * drivers/usb/lan78xx.c (with usb_ether.c) against a register-level model of the LAN7800
 * (LAN7800 datasheet): ID_REV, self-clearing lite reset, PHY reset through PMT_CTL with its
 * READY bit, an EEPROM whose pins are the LED0/LED1 pins (reads time out while those LEDs are
 * on), MII_ACC access to a gigabit PHY with autonegotiation and a latched-low link bit, the
 * interrupt endpoint's INT_STS word, RX command A/B/C framing of bulk IN data and TX command
 * A/B of bulk OUT data. The model refuses registers the chip does not have and notes every
 * enable that comes before the resets and the address (in RX_ADDRL/H and perfect filter entry
 * 0). What the LAN9514's model and checks share with this one is in shim/usb_ether_model.c and
 * shim/usb_ether_checks.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "usb_ether_checks.h"
#include "usb_ether_model.h"
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

#define PHY_INT (1u << 17)
#define LRST	(1u << 1)
#define MEF	(1u << 4)
#define LEDS	(3u << 20)
#define PHY_RST (1u << 4)
#define READY	(1u << 7)
#define BIR	(1u << 6)
#define BCE	(1u << 5)
#define FCT_EN	(1u << 31)
#define RXEN	1u
#define TXEN	1u
/* the PHY's vendor interrupt mask and status (read to clear), and the bit it uses */
#define PHY_INT_MASK 25
#define PHY_INT_STS  26
#define LINK_CHANGE  (1u << 13)

static struct {
	uint32_t reg[0x600 / 4];
	struct phy_model phy;
	struct eeprom_model eeprom;
	unsigned lrst_busy, phyrst_busy;
	bool reset_done, phy_reset_done, addrl_set, addrh_set;
	bool leds_at_reset;
	unsigned order_errors, bad_requests;
	struct bulk_out_log out;
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

static void phy_irq(void)
{
	chip.reg[INT_STS / 4] |= PHY_INT;
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

static void reg_write(unsigned r, uint32_t v)
{
	uint32_t *p = &chip.reg[r / 4], old = *p;
	switch (r) {
	case ID_REV:
		return;
	case INT_STS:
		*p &= ~v;
		return;
	case HW_CFG:
		if (v & LRST) {
			lite_reset();
			chip.reg[HW_CFG / 4] |= LRST;
			return;
		}
		break;
	case PMT_CTL:
		if (v & PHY_RST) {
			phy_model_reset(&chip.phy);
			chip.phy_reset_done = true;
			chip.phyrst_busy = 2;
			v &= ~READY;
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
}

static uint32_t reg_read(unsigned r)
{
	uint32_t v = chip.reg[r / 4];
	if (r == HW_CFG && chip.lrst_busy && --chip.lrst_busy == 0)
		chip.reg[r / 4] &= ~LRST;
	if (r == PMT_CTL && chip.phyrst_busy && --chip.phyrst_busy == 0)
		chip.reg[r / 4] = (chip.reg[r / 4] & ~PHY_RST) | READY;
	return v;
}

/* The EEPROM shares its pins with LED0/LED1: it answers only while those LEDs are off. */
static bool eeprom_answers(void)
{
	return !(chip.reg[HW_CFG / 4] & LEDS);
}

static const struct vendor_regs regs = {.reg = chip.reg,
					.known = known_reg,
					.read = reg_read,
					.write = reg_write,
					.mii_acc = MII_ACC,
					.mii_data = MII_DATA,
					.e2p_cmd = E2P_CMD,
					.e2p_data = E2P_DATA,
					.phy = &chip.phy,
					.eeprom = &chip.eeprom,
					.eeprom_answers = eeprom_answers,
					.bad_requests = &chip.bad_requests};

/* TX command A: length 19:0, FCS insertion bit 22 (no checksum offload, LSO or VLAN bits);
 * command B: 0 (no segmentation). One whole frame per transfer. */
static void bulk_out(uint8_t ep, const uint8_t *d, uint32_t len)
{
	if (!bulk_out_take(&chip.out, ep, d, len))
		return;
	if (!(chip.reg[MAC_TX / 4] & TXEN) || !(chip.reg[FCT_TX_CTL / 4] & FCT_EN) || len < 8) {
		chip.out.bad++;
		return;
	}
	uint32_t a = le32(d), b = le32(d + 4), n = a & 0xfffff;
	if (!(a & (1u << 22)) || (a & ~(0xfffffu | 1u << 22)) || b != 0 || n != len - 8 || n < 14) {
		chip.out.bad++;
		return;
	}
	bulk_out_keep(&chip.out, d + 8, n);
}

static void chip_init(bool eeprom, const uint8_t *mac)
{
	memset(&chip, 0, sizeof(chip));
	chip.id = 0x78000002;
	lite_reset();
	chip.reset_done = false;
	chip.lrst_busy = 0;
	struct phy_model *p = &chip.phy;
	p->defaults[0] = 0x1140;
	p->defaults[1] = 0x7949;
	p->defaults[4] = 0x01e1;
	p->defaults[9] = 0x0300;
	p->int_status = PHY_INT_STS;
	p->int_mask = PHY_INT_MASK;
	p->aneg_irq = LINK_CHANGE;
	p->gigabit = true;
	p->lan88xx = true;
	p->mmd3_phy_cfg = 0x0005; /* bits that must survive */
	p->irq = phy_irq;
	p->cable = true;
	p->partner = 0x41e1;
	p->partner1000 = 0x0c00; /* the partner does 1000 half and full */
	phy_model_reset(p);
	eeprom_model_init(&chip.eeprom, eeprom, mac);
	chip.leds_at_reset = true;
	model_reset(vendor_chip(&regs, bulk_out));
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

static struct netdev *probe_fresh(int *result)
{
	chip_init(false, NULL);
	return probe(result);
}

/* One frame as the chip delivers it: RX command A (length with FCS 13:0, flags), B, C, the
 * frame, its FCS, and padding so the next command A is 4-byte aligned. */
static uint32_t put_frame(uint8_t *b, uint32_t off, uint32_t flags, const uint8_t *f, uint32_t n)
{
	uint8_t h[10] = {[8] = 0xab, [9] = 0xcd};
	put_le32(h, (n + 4) | flags);
	put_le32(h + 4, 0x12345678);
	return put_raw(b, off, h, sizeof(h), f, n);
}

static const struct ether_dut dut = {
    .probe = probe_fresh,
    .put_frame = put_frame,
    .rx_hdr = 10,
    .bad = {1u << 22 | 1u << 18, 1u << 22}, /* RED + FCS error; RED */
    .sizes = {60, 1514, 63},
    .good = {101, 62},
    .seed = 54321,
    .out = &chip.out,
    .phy = &chip.phy,
    .int_sts = &chip.reg[INT_STS / 4],
    .phy_int = PHY_INT,
};

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
	CHECK(chip.eeprom.reads >= 7 && memcmp(nd->mac, mac, 6) == 0,
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
	CHECK(chip.phy.reg[4] == 0x01e1 && chip.phy.reg[9] == 0x0200 &&
		  (chip.phy.reg[PHY_INT_MASK] & LINK_CHANGE),
	      "PHY advertises 10/100 and 1000 full only (no 1000 half: Linux's lan78xx), "
	      "interrupts on link change (CTRL1000 %04x)",
	      chip.phy.reg[9]);
	/* Linux's lan88xx_config_init, in its order */
	static const uint16_t tr_addr[] = {0x0f82, 0x168c, 0x17a2, 0x16a0, 0x16a6, 0x16a4,
					   0x16a8, 0x0fe8, 0x0ffc, 0x0fea, 0x1686};
	static const uint32_t tr_data[] = {0x12b00a, 0xd2c46f, 0x000620, 0xeeffdd,
					   0x071448, 0x13132f, 0x000000, 0x91b06c,
					   0xc0a028, 0x041600, 0x000004};
	bool tr = chip.phy.tr_count == 11;
	for (unsigned i = 0; tr && i < 11; i++)
		tr = chip.phy.tr_addr[i] == tr_addr[i] && chip.phy.tr_data[i] == tr_data[i];
	CHECK(tr, "LAN88xx DSP (token ring) registers: Linux's 11 values, in order (%u written)",
	      chip.phy.tr_count);
	CHECK(chip.phy.mmd3_phy_cfg == 0x2005,
	      "MMD 3 register 0x806a: zero-detect delay set, other bits kept (%04x)",
	      chip.phy.mmd3_phy_cfg);
	CHECK(chip.phy.page == 0 && chip.phy.bad_page == 0,
	      "the PHY is left on page 0, no access to an unknown page (%u)", chip.phy.bad_page);
	check_started();
	CHECK(strstr(model_log, "LAN7800") && strstr(model_log, "(eeprom)"), "logged");
	CHECK(chip.bad_requests == 0 && chip.phy.bad_addr == 0 && model_errors == 0,
	      "no bad requests (%u), PHY addresses (%u) or bus misuse (%u)", chip.bad_requests,
	      chip.phy.bad_addr, model_errors);
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

/* The link: the LAN7800's MAC follows the PHY's speed and duplex itself (MAC_CR auto bits). */
static void test_link(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	CHECK(model_link_check() == 1, "autonegotiated: link up");
	CHECK(strstr(model_log, "link up, 1000 Mb/s full duplex") != NULL, "at 1000 full duplex");
	check_link_cycle(&dut, LINK_CHANGE, 0x4081 /* 100 half only */, 0,
			 "link up, 100 Mb/s half duplex");
	CHECK(model_errors == 0 && chip.bad_requests == 0, "no misuse");
}

int main(void)
{
	test_probe_eeprom();
	test_mac_sources();
	test_ids();
	test_link();
	check_receive(&dut);
	check_ring(&dut);
	check_faults(&dut);
	check_fuzz(&dut);
	check_transmit(&dut, "TX command A (length, FCS) and B right");
	return TAP_DONE();
}
